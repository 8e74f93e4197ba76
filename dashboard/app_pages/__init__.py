"""The dashboard pages (run by Streamlit from their files; a package so that import-linter sees them)."""
