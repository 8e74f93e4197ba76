"""The pages' orchestration without Streamlit: each function takes a database session and plain
values, calls the db services and hands back what the page shows or offers. Tested with plain pytest;
a page reads its widgets, calls one function here (or a db service) and renders the answer.

Imports of Streamlit are forbidden here (import-linter contract in pyproject.toml)."""
