"""Read services (Streamlit-free): the leadership overview, per-jurisdiction queries, reconciliation, exposures."""
