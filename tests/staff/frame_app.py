"""A dashboard frame for the staff browser test while dashboard/app.py does not list the staff pages
yet: the same page config, CSS and sidebar, with 核验名单, 验证码队列 and 导出."""

from pathlib import Path

import streamlit as st

import dashboard
from dashboard import state, ui

PAGES_DIR = Path(dashboard.__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="安全生产培训“走过场”专项整治看板", page_icon="🛡️", layout="wide",
                   initial_sidebar_state="expanded")  # fmt: skip
ui.inject_css()
page = st.navigation([
    st.Page(PAGES_DIR / "verify.py", title="核验名单", icon="🪪", url_path="verify", default=True),
    st.Page(PAGES_DIR / "captcha.py", title="验证码队列", icon="🔢", url_path="captcha"),
    st.Page(PAGES_DIR / "exports.py", title="导出", icon="📤", url_path="exports"),
])  # fmt: skip
state.keep_sidebar_state()
if state.sidebar(period="month") is None:
    st.stop()
page.run()
