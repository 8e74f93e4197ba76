"""The running dashboard in Debian's Chromium (Playwright): every page renders real content.

Starts `streamlit run dashboard/app.py` (the project's own command line) on a free loopback port
against a seeded temporary SQLite county (full scale), logs in through the login page (the sample
county's demo accounts), opens each page, waits for a known Chinese text and saves a screenshot to
docs/screenshots/<page>.png (the README shows them). The login itself is captured too, and the
administrator's pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.authkit import browser_log_in
from tests.browserkit import SHOTS, launch_browser, running_dashboard

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 2200}

CHART = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas'
TABLE = '[data-testid="stDataFrame"] canvas'
FORM = '[data-testid="stForm"] >> visible=true'  # hidden tabs hold forms too
UPLOADER = '[data-testid="stFileUploader"]'
# page → (path, a text that only appears once the page's data is drawn, a drawn element, texts that must be there)
PAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "overview": ("", "月报（汇总表）报送情况", CHART, ("总览", "检查覆盖", "无证上岗", "乡镇（街道）排名", "需关注")),
    "township": ("township?j=500230001", "问题清单：整改中与逾期", CHART,
                 ("三合街道", "辖区企业与检查覆盖", "证书核查结果")),
    "assessment": ("assessment", "单位得分明细", TABLE, ("季度考核", "下载本季度通报", "小分母保护")),
    "data_monthly": ("data_monthly", "报送截止", UPLOADER,
                     ("月度汇总表", "上传汇总表", "在线填报", "零报告", "盖章扫描件", "数据核对", "下载本月汇总表模板")),
    "data_inspections": ("data_inspections", "保存检查记录", FORM,
                         ("检查记录", "录入一次检查", "批量导入", "对象名称", "检查日期", "检查项", "处理措施")),
    "data_findings": ("data_findings", "逾期未整改", TABLE,
                      ("问题清单", "只看逾期", "导出问题清单", "整改与复查销号", "报告已整改", "复查销号")),
    "data_other": ("data_other", "保存自查报告", FORM,
                   ("自查、举报、曝光与总结", "自查自改", "12350举报线索", "曝光与黑名单", "总结报告", "自查情况")),
    "training_audit": ("training_audit", "保存核实结果", CHART,
                       ("培训档案核查", "上传档案", "导出线索清单", "查看线索", "依据", "核实结果")),
}  # fmt: skip
ADMIN_PAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "admin_users": ("admin_users", "修改账号", TABLE, ("账号管理", "新增账号", "系统管理员")),
    "admin_audit": ("admin_audit", "导出这", TABLE, ("审计日志", "包含文字")),
}  # fmt: skip


@pytest.fixture(scope="module")
def county_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample county at full scale (a few seconds): the screenshots show a realistic county."""
    from db.engine import make_engine
    from db.sample.seed import seed_sample

    url = f"sqlite:///{tmp_path_factory.mktemp('county') / 'county.db'}"
    engine = make_engine(url)
    seed_sample(engine, scale=1)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def dashboard_url(county_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("dashboard") / "streamlit.log"
    with running_dashboard({"DATABASE_URL": county_url}, log=log) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as chromium:
        yield chromium


def _settled(page: Any) -> None:
    """Wait until the script run has finished (no running indicator)."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000)


def log_in(browser: Any, base: str, username: str, *, viewport: dict[str, int] = VIEWPORT) -> Any:
    """A browser context logged in as `username` through the login page (the cookie is kept)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    browser_log_in(page, base, username)
    page.close()
    return context


@pytest.fixture(scope="module")
def county_staff(dashboard_url: str, browser: Any) -> Iterator[Any]:
    context = log_in(browser, dashboard_url, "county")
    yield context
    context.close()


@pytest.fixture(scope="module")
def administrator(dashboard_url: str, browser: Any) -> Iterator[Any]:
    context = log_in(browser, dashboard_url, "admin", viewport={"width": 1440, "height": 900})
    yield context
    context.close()


def test_login_page_is_all_a_visitor_sees_and_is_captured(dashboard_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/township?j=500230001", wait_until="domcontentloaded")
        page.get_by_role("button", name="登录").wait_for(timeout=60_000)
        _settled(page)
        body = page.inner_text("body")
        assert "请使用县应急管理局分配的账号登录" in body and "三合街道" not in body
        page.get_by_label("用户名").fill("sanhe")
        page.get_by_label("密码", exact=True).fill("wrong-password-1")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("用户名或密码不正确").wait_for(timeout=30_000)
        page.get_by_label("用户名").fill("sanhe")
        page.wait_for_timeout(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "login.png"))
        # a forged cookie is no login either
        context.add_cookies([{"name": "anpei_session", "value": "v1.1.0.0.99999999999.Zm9yZ2Vk",
                              "url": dashboard_url}])  # fmt: skip
        page.goto(f"{dashboard_url}/", wait_until="domcontentloaded")
        page.get_by_role("button", name="登录").wait_for(timeout=60_000)
        assert page.get_by_role("button", name="退出登录").count() == 0
    finally:
        context.close()


def test_a_township_user_sees_only_its_own_pages(dashboard_url: str, browser: Any) -> None:
    context = log_in(browser, dashboard_url, "sanhe")
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/township?j=500230002", wait_until="domcontentloaded")  # another township
        page.get_by_text("问题清单：整改中与逾期").wait_for(timeout=60_000)
        _settled(page)
        nav = page.inner_text('[data-testid="stSidebarNav"]')
        assert "总览" not in nav and "账号管理" not in nav and "月度汇总表" in nav
        title = page.locator("h1").first.inner_text()
        assert title.strip() == "三合街道"
        assert "三合街道应急办" in page.inner_text('[data-testid="stSidebar"]')
    finally:
        context.close()


@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_admin_page_renders_and_is_captured(dashboard_url: str, administrator: Any, name: str) -> None:
    _capture(administrator, dashboard_url, name, ADMIN_PAGES[name])


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_real_content_and_is_captured(dashboard_url: str, county_staff: Any, name: str) -> None:
    _capture(county_staff, dashboard_url, name, PAGES[name])


def _capture(context: Any, dashboard_url: str, name: str, spec: tuple[str, str, str, tuple[str, ...]]) -> None:
    path, ready, drawn, expected = spec
    page = context.new_page()  # a new page = a refresh: the login cookie keeps the user logged in
    try:
        page.goto(f"{dashboard_url}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
        page.get_by_text(ready, exact=False).first.wait_for(timeout=60_000)
        _settled(page)  # charts and tables draw after the text; wait until the script has finished
        page.wait_for_selector(drawn, timeout=60_000)
        page.wait_for_timeout(1500)
        body = page.inner_text("body")
        for text in expected:
            assert text in body, text
        assert page.locator('[data-testid="stException"]').count() == 0, body[:2000]
        assert "Traceback" not in body
        SHOTS.mkdir(parents=True, exist_ok=True)
        target = SHOTS / f"{name}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 30_000  # a drawn page, not an empty shell
    finally:
        page.close()
