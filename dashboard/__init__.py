"""The leadership dashboard (Streamlit): a frame in `app.py`, thin pages in `app_pages/`."""
