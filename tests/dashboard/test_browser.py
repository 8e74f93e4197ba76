"""The running dashboard in Debian's Chromium (Playwright): every page renders real content.

Starts `streamlit run dashboard/app.py` (the project's own command line) on a free loopback port
against a seeded temporary SQLite county (full scale), logs in through the login page (the sample
county's demo accounts), opens each page, waits for a known Chinese text and saves a screenshot to
docs/screenshots/<page>.png (the README shows them). The login itself is captured too, and the
administrator's pages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from dashboard import nav
from tests.kits.authkit import browser_log_in
from tests.kits.browserkit import SHOTS, county_copy, launch_browser, running_dashboard

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 2200}

CHART = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas'
TABLE = '[data-testid="stDataFrame"] canvas'
FORM = '[data-testid="stForm"] >> visible=true'  # hidden tabs hold forms too
UPLOADER = '[data-testid="stFileUploader"]'
# page → (path, a text that only appears once the page's data is drawn, a drawn element, texts that must be there)
PAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "overview": (
        "",
        "月报（汇总表）报送情况",
        CHART,
        ("总览", "检查覆盖", "无证上岗", "乡镇（街道）排名", "需关注"),
    ),
    "township": (
        "township?j=500230001",
        "问题清单：整改中与逾期",
        CHART,
        ("三合街道", "辖区企业与检查覆盖", "证书核查结果"),
    ),
    "assessment": ("assessment", "单位得分明细", TABLE, ("季度考核", "下载本季度通报", "小分母保护")),
    "data_monthly": (
        "data_monthly",
        "报送截止",
        UPLOADER,
        ("月度汇总表", "上传汇总表", "在线填报", "零报告", "盖章扫描件", "数据核对", "下载本月汇总表模板"),
    ),
    "data_inspections": (
        "data_inspections",
        "保存检查记录",
        FORM,
        ("检查记录", "录入一次检查", "批量导入", "对象名称", "检查日期", "检查项", "处理措施"),
    ),
    "data_findings": (
        "data_findings",
        "逾期未整改",
        TABLE,
        ("问题清单", "只看逾期", "导出问题清单", "整改与复查销号", "报告已整改", "复查销号"),
    ),
    "data_other": (
        "data_other",
        "保存自查报告",
        FORM,
        ("自查、举报、曝光与总结", "自查自改", "12350举报线索", "曝光与黑名单", "总结报告", "自查情况"),
    ),
    "training_audit": (
        "training_audit",
        "保存核实结果",
        CHART,
        ("培训档案核查", "上传档案", "导出线索清单", "查看线索", "依据", "核实结果"),
    ),
}
ADMIN_PAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "admin_users": ("admin_users", "修改账号", TABLE, ("账号管理", "新增账号", "系统管理员")),
    "admin_audit": ("admin_audit", "导出这", TABLE, ("审计日志", "包含文字")),
}


@pytest.fixture(scope="module")
def county_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample county at full scale (seeded once per run): the screenshots show a realistic county."""
    return county_copy(tmp_path_factory)


@pytest.fixture(scope="module")
def dashboard_url(county_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("dashboard") / "streamlit.log"
    with running_dashboard({"DATABASE_URL": county_url}, log=log) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as chromium:
        yield chromium


# Streamlit marks its app element with the state of the script run: "initial" until the first run
# starts, "running", "notRunning" once it has finished (the attribute its own end-to-end tests wait on).
RUN_FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# every visible chart and table of the finished run drawn (those in closed tabs and expanders are
# not), nothing left over from a previous run, no element still loading its code (Streamlit shows a
# skeleton until a widget's script chunk has arrived: a form's select box and date input), fonts loaded
DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .every(el => !el.checkVisibility() || el.querySelector('svg, canvas'))
    && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .every(el => !el.checkVisibility() || el.querySelector('canvas'))
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')
    && document.fonts.status === 'loaded'"""
# then the page at rest: no change to the document for 250 ms (a table fills its rows after its canvas
# appears), at most 3 s for a page that keeps refreshing itself, and two animation frames painted
QUIET = """() => new Promise(done => {
    const finish = () => {
        observer.disconnect();
        clearTimeout(limit);
        requestAnimationFrame(() => requestAnimationFrame(done));
    };
    let timer = setTimeout(finish, 250);
    const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(finish, 250); });
    const limit = setTimeout(() => { clearTimeout(timer); finish(); }, 3000);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
})"""
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _settled(page: Any) -> None:
    """Wait until the script run has finished, no running indicator is left and its tables and
    charts are drawn, then until the page is at rest (events, no fixed sleeps)."""
    page.wait_for_selector(RUN_FINISHED, state="attached", timeout=60_000)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000
    )
    page.wait_for_function(DRAWN, timeout=60_000)
    page.evaluate(QUIET)


def log_in(browser: Any, base: str, username: str, *, viewport: dict[str, int] = VIEWPORT) -> Any:
    """A browser context logged in as `username` through the login page (the cookie is kept)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    browser_log_in(page, base, username)
    page.close()
    return context


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
        page.evaluate(NEXT_FRAMES)  # the filled-in name painted
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "login.png"))
        # a forged cookie is no login either
        context.add_cookies(
            [{"name": "anpei_session", "value": "v1.1.0.0.99999999999.Zm9yZ2Vk", "url": dashboard_url}]
        )
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


def _captured(page: Any, name: str, spec: tuple[str, str, str, tuple[str, ...]]) -> list[str]:
    """The page's capture (PAGES, ADMIN_PAGES), on the page the role walk has drawn at the capture's
    size: its data drawn (the ready text, the drawn element), its texts there, no error, no traceback;
    saved as docs/screenshots/<name>.png. Returns what is wrong."""
    _, ready, drawn, expected = spec
    page.get_by_text(ready, exact=False).first.wait_for(timeout=60_000)
    _settled(page)  # charts and tables draw after the text; wait until the script has finished
    page.wait_for_selector(drawn, timeout=60_000)
    _settled(page)  # the drawn element's neighbours too
    body = page.inner_text("body")
    problems = [f"{name} 缺少：{text}" for text in expected if text not in body]
    if page.locator('[data-testid="stException"]').count():
        problems.append(f"{name} 出错：{body[:2000]}")
    if "Traceback" in body:
        problems.append(f"{name} Traceback：{body[:2000]}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}.png"
    page.screenshot(path=str(target))
    if target.stat().st_size <= 30_000:  # a drawn page, not an empty shell
        problems.append(f"{name} 截图过小：{target.stat().st_size}")
    return problems


# --- no English on screen, pages that fit a laptop (issue 15) ---------------------------------------

# Latin words a clerk may meet: file kinds and a few names everyone in the bureau uses
ALLOWED_LATIN = frozenset(
    {
        "excel",
        "word",
        "csv",
        "pdf",
        "id",
        "url",
        "xlsx",
        "xls",
        "xlsm",
        "doc",
        "docx",
        "jpg",
        "jpeg",
        "png",
        "tif",
        "tiff",
        "html",
        "htm",
        "mb",
        "kb",
        "uscc",
        "aq",
        "gb",  # standards' designations quoted as a lead's basis (AQ 8011—2023, GB 11643)
    }
)
LATIN_WORD = r"[A-Za-z][A-Za-z']+"
ROLES = ("leader", "county", "sanhe", "jxw", "admin")
LAPTOP = {"width": 1366, "height": 768}
DESKTOP = {"width": 1440, "height": 900}
SHOT_ROLES = {"county", "admin"}  # their pages are the screenshots; the other roles see subsets
# tables whose columns must all be visible without scrolling sideways at 1366 (page → what must load)
FITTED_TABLES = {"assessment", "data_findings"}
# the pages captured as docs/screenshots/<page>.png with their own checks (PAGES, ADMIN_PAGES): taken
# by the role walk from the page it has drawn, at the capture's size ((role, page) → (page, spec))
CAPTURES = {("county", n): (n, spec) for n, spec in PAGES.items()} | {
    ("admin", n): (n, spec) for n, spec in ADMIN_PAGES.items()
}
CAPTURE_SIZES = {"county": VIEWPORT, "admin": DESKTOP}


# the visible text: text nodes drawn at a readable size inside the window's width (Material icons
# are ligature words drawn as pictures; the skip link is a 1-pixel box until it has the focus)
VISIBLE_TEXT = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || !/[A-Za-z]/.test(node.textContent)) continue;
        if (el.closest('[data-testid="stIconMaterial"], script, style, noscript, [aria-hidden="true"] svg')) continue;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        if (parseFloat(style.fontSize) < 2 || box.width <= 1 || box.height <= 1) continue;
        if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
        out.push(node.textContent);
    }
    for (const el of document.querySelectorAll('input, textarea')) {
        const box = el.getBoundingClientRect();
        if (box.width > 1 && box.height > 1 && el.placeholder && !el.value) out.push(el.placeholder);
    }
    return out;
}"""


def _latin(texts: list[str]) -> list[str]:
    import re

    from db.sample.seed import DEMO_ACCOUNTS

    # account names are data the bureau chose (the admin page lists them), not words of the interface
    allowed = ALLOWED_LATIN | {name for name, *_ in DEMO_ACCOUNTS}
    return [w for text in texts for w in re.findall(LATIN_WORD, text) if w.lower() not in allowed]


def _visible_words(page: Any) -> list[str]:
    """The visible text of the page (text, placeholders) as Latin words outside ALLOWED_LATIN."""
    return _latin(page.evaluate(VISIBLE_TEXT))


def _latin_in_focused_input(page: Any) -> list[str]:
    """Focus the first visible text box and type a digit: its hint ("Press Enter to submit form",
    "1/8") must not be English."""
    box = page.locator(
        '[data-testid="stTextInput"] input:visible, [data-testid="stTextArea"] textarea:visible'
    )
    if box.count() == 0:
        return []
    box.first.click()
    box.first.press_sequentially("1")
    # the hint Streamlit shows under a changed text box ("按回车键确认", a character count); a box
    # without a hint: what is visible is checked all the same
    with contextlib.suppress(Exception):
        page.locator('[data-testid="InputInstructions"]').first.wait_for(timeout=3_000)
    words = _visible_words(page)
    box.first.press("Backspace")
    return words


def _tables_scrolling_sideways(page: Any) -> list[str]:
    """Glide tables (st.dataframe) whose columns are wider than the table: the reader must scroll."""
    result: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
            .map(el => [el, el.querySelector('.dvn-scroller')])
            .filter(([el, s]) => s && s.scrollWidth > s.clientWidth + 2)
            .map(([el, s]) => `${s.scrollWidth}>${s.clientWidth}`)"""
    )
    return result


ERROR = '[data-testid="stException"]'
INDICATOR_OR_FINISHED = f"""() => document.querySelector('[data-testid="stStatusWidget"]')
    || document.querySelector('{RUN_FINISHED}')"""


def _drawn(page: Any) -> None:
    """Wait until the page opened by `goto` has run its script and drawn its tables."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60_000)
    _settled(page)  # also waits until tables and charts are drawn


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_every_role_speaks_chinese_and_fits_a_laptop(
    dashboard_url: str, browser: Any, username: str
) -> None:
    """Walks every page the role is offered at 1366×768: no visible Latin word outside ALLOWED_LATIN
    (also the status widget while a page runs, and a text box's hint while typing), no error box, and
    the tables of FITTED_TABLES fit. County and administrator pages are captured at 1366×768 and
    1440×900 (docs/screenshots/<page>_1366.png, _1440.png); the pages of PAGES (county, 1440×2200) and
    ADMIN_PAGES (administrator, 1440×900) also as <page>.png with their own checks (`_captured`): each
    page is opened once for all of them."""

    from db.sample.seed import DEMO_ACCOUNTS

    role = {name: role for name, _, role, _ in DEMO_ACCOUNTS}[username]
    context = log_in(browser, dashboard_url, username, viewport=LAPTOP)
    page = context.new_page()
    problems: list[str] = []
    captured: set[str] = set()
    try:
        first = next(iter(nav.pages_for(role).values()))[0]
        for specs in nav.pages_for(role).values():
            for spec in specs:
                where = f"{username}/{spec.url_path}"
                capture = CAPTURES.get((username, spec.url_path))
                # the default page lives at "/"; a captured page at its capture's address
                address = capture[1][0] if capture else "" if spec is first else spec.url_path
                page.goto(f"{dashboard_url}/{address}", wait_until="domcontentloaded")
                # the running indicator of the first run; a quick page may finish before it shows
                page.wait_for_function(INDICATOR_OR_FINISHED, timeout=60_000)
                if page.locator('[data-testid="stStatusWidget"]').count():
                    problems += [f"{where} 运行提示：{w}" for w in _visible_words(page)]
                _drawn(page)
                errors = page.locator(ERROR)
                if errors.count():
                    problems.append(f"{where} 出错：{errors.first.inner_text()[:300]}")
                problems += [f"{where}：{w}" for w in _visible_words(page)]
                if spec.url_path in FITTED_TABLES:
                    problems += [f"{where} 表格需左右滚动：{t}" for t in _tables_scrolling_sideways(page)]
                if username in SHOT_ROLES:
                    SHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SHOTS / f"{spec.url_path}_1366.png"))
                    page.set_viewport_size(DESKTOP)
                    _settled(page)  # tables and charts redrawn at the new width
                    page.screenshot(path=str(SHOTS / f"{spec.url_path}_1440.png"))
                    if capture:  # the page's own capture, at its size
                        size = CAPTURE_SIZES[username]
                        if size != DESKTOP:
                            page.set_viewport_size(size)
                            _settled(page)
                        problems += _captured(page, *capture)
                        captured.add(capture[0])
                    page.set_viewport_size(LAPTOP)
                problems += [f"{where} 输入提示：{w}" for w in _latin_in_focused_input(page)]
    finally:
        context.close()
    problems += [
        f"{name} 未截图：不在 {username} 的页面中"
        for u, name in CAPTURES
        if u == username and name not in captured
    ]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_training_upload_confirms_columns_before_storing_and_is_captured(
    dashboard_url: str, browser: Any, tmp_path: Any
) -> None:
    """培训档案核查 with an uploaded workbook whose 班次 sheet names 培训单位 otherwise: the columns per
    sheet, the missing column, the header mapped by hand, then the input problems and 确认入库 (not
    clicked: nothing is stored). Captured at 1440×900 and 1366×768 (training_audit_upload_*.png)."""
    from tests.training_audit.test_training_audit_headers import renamed

    path = renamed(tmp_path, "班次", "培训单位", "机构全称")
    context = log_in(browser, dashboard_url, "county", viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{dashboard_url}/training_audit", wait_until="domcontentloaded")
        _drawn(page)
        page.locator(f'{UPLOADER} input[type="file"]').set_input_files(str(path))
        page.get_by_text("缺少必填列", exact=False).first.wait_for(timeout=60_000)
        _settled(page)
        assert page.get_by_role("button", name="确认入库").count() == 0
        page.get_by_text("“机构全称”对应", exact=False).first.scroll_into_view_if_needed()
        page.get_by_role("combobox", name="“机构全称”对应").click()
        page.get_by_role("option", name="培训单位").click()
        page.get_by_role("button", name="确认入库").wait_for(timeout=60_000)
        _settled(page)
        page.evaluate(NEXT_FRAMES)  # the columns table's rows painted on its canvas
        body = page.inner_text("body")
        assert "缺少必填列" not in body and "输入问题" in body  # (the columns table is drawn on a canvas)
        assert page.locator(ERROR).count() == 0
        assert not _visible_words(page), _visible_words(page)
        page.get_by_text("识别出的列", exact=False).first.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -120)")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "training_audit_upload_1440.png"))
        page.set_viewport_size(LAPTOP)
        _settled(page)  # tables redrawn at the new width
        page.get_by_text("识别出的列", exact=False).first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "training_audit_upload_1366.png"))
    finally:
        context.close()
