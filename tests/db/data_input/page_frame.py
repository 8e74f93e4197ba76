"""A minimal frame for the AppTest runs of the data-input pages (the real frame is dashboard/app.py).

The page to open is named by ANPEI_TEST_PAGE (file name in dashboard/app_pages).
"""

import os
from pathlib import Path

import streamlit as st

from dashboard import state

PAGES_DIR = Path(__file__).resolve().parents[3] / "dashboard" / "app_pages"
wanted = os.environ.get("ANPEI_TEST_PAGE", "data_monthly.py")
names = [
    n
    for n in [
        "data_monthly.py",
        "data_inspections.py",
        "data_findings.py",
        "data_other.py",
        "training_audit.py",
    ]
    if (PAGES_DIR / n).exists()
]
page = st.navigation([st.Page(PAGES_DIR / n, default=(n == wanted), url_path=n[:-3]) for n in names])
if state.sidebar(period="month") is None:
    st.stop()
page.run()
