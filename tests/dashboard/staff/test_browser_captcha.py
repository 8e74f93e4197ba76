"""A person verifies a roster in Debian Chromium (Playwright): upload on 核验名单, type every captcha
on 验证码队列 (the input is focused: the test only types and presses Enter), download the result
file, then export the 汇总表. Prints the seconds per row; saves docs/screenshots/verify.png,
captcha.png and exports.png.

The platform double runs in queue mode (a person must type each code), the verifier service and the
dashboard on free loopback ports. The person first logs in through the login page (the sample
county's county-staff demo account); every tab then rides on the login cookie.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.kits.authkit import browser_log_in
from tests.kits.browserkit import SHOTS, launch_browser, running_dashboard
from tests.kits.staffkit import CAPTCHA, ServiceRun, start_service, xlsx_bytes
from verifier.results import FILE_COLUMNS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1440, "height": 2000}
INPUT_LABEL = "验证码"  # the captcha input's label in dashboard/app_pages/captcha.py
ROWS = 10


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceRun]:
    with start_service(tmp_path_factory.mktemp("svc"), people_count=ROWS, default_captcha="queue") as run:
        yield run


@pytest.fixture(scope="module")
def dashboard_url(
    sample_url: str, services: ServiceRun, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {
        "DATABASE_URL": sample_url,
        "ANPEI_VERIFIER_URL": services.url,
        "ANPEI_UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
    }
    with running_dashboard(env, log=tmp_path_factory.mktemp("dash") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as chromium:
        yield chromium


def _ready(page: Any, text: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout_ms)


def _run_finished(page: Any) -> None:
    """The page has finished its script run (what a person sees before clicking)."""
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && document.querySelector('[data-test-script-state="notRunning"]')""",
        timeout=90_000,
    )


def _ready_to_type(page: Any) -> None:
    """What a person's eyes wait for: the page has finished its run and the empty captcha input has
    the focus (given by the page itself: nothing here clicks it). Typing into a page mid-rerun loses
    keys on a loaded machine."""
    page.wait_for_function(
        """(label) => !document.querySelector('[data-testid="stStatusWidget"]')
                 && document.activeElement
                 && document.activeElement.getAttribute('aria-label') === label
                 && document.activeElement.value === ''""",
        arg=INPUT_LABEL,
        timeout=90_000,
    )


def test_a_person_types_the_captchas_and_downloads_the_results(
    dashboard_url: str, services: ServiceRun, browser: Any, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    verify = context.new_page()
    browser_log_in(verify, dashboard_url, "county")
    verify.goto(f"{dashboard_url}/verify")
    _ready(verify, "① 上传名单")
    roster = tmp_path / "三合街道特种作业人员名单.xlsx"
    rows = [[p.name, p.id_number, "低压电工作业", ""] for p in services.crowd]
    roster.write_bytes(xlsx_bytes(rows, title="三合街道 特种作业人员名单"))
    verify.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(roster))
    _ready(verify, "本地检查全部通过")
    _run_finished(verify)  # a click mid-rerun reaches a button the rerun is replacing
    verify.get_by_role("button", name="提交核验").click()
    _ready(verify, "② 任务")

    # the captcha queue in its own tab, as a person would keep it open
    queue = context.new_page()
    queue.goto(f"{dashboard_url}/captcha")
    _ready(queue, "验证码队列")
    queue.locator('[data-testid="stImage"] img').first.wait_for(timeout=90_000)
    queue.get_by_text(services.crowd[0].name, exact=False).first.wait_for(timeout=90_000)
    _ready_to_type(queue)  # the page's focusing script has run: the input has the focus
    queue.screenshot(path=str(SHOTS / "captcha.png"))
    per_row: list[float] = []
    started = time.monotonic()
    for index in range(ROWS):
        shown = time.monotonic()
        _ready_to_type(queue)
        queue.keyboard.type(CAPTCHA)  # no click: the input must already have the focus
        queue.keyboard.press("Enter")
        if index + 1 < ROWS:
            try:
                queue.get_by_text(services.crowd[index + 1].name, exact=False).first.wait_for(timeout=90_000)
            except Exception:
                queue.screenshot(path=str(tmp_path / f"stuck-{index}.png"))
                raise
            queue.locator('[data-testid="stImage"] img').first.wait_for(timeout=90_000)
        else:
            queue.get_by_text("现在没有等待输入的验证码", exact=False).first.wait_for(timeout=90_000)
        per_row.append(time.monotonic() - shown)
    total = time.monotonic() - started
    print(
        f"\n验证码队列：{ROWS} 行共 {total:.1f} 秒，平均每行 {total / ROWS:.2f} 秒"
        f"（最慢 {max(per_row):.2f} 秒；不含人看图和打字的时间，约 2 秒/行）"
    )
    assert total / ROWS < 5, per_row

    # back on the first tab: the progress refreshed by itself and the results are there
    _ready(verify, "③ 核验结果", timeout_ms=90_000)
    _ready(verify, "已保存 10 条", timeout_ms=90_000)
    # a person clicks once the page has finished its run: a click mid-rerun reaches a download button
    # the rerun is replacing (the file is built on click, registered anew by every run)
    _run_finished(verify)
    with verify.expect_download() as info:
        verify.get_by_role("button", name="下载结果").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx") and "核验结果" in download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    # verification.md §7: the result columns first (行号 in column A), the roster's own columns after
    assert header[: len(FILE_COLUMNS)] == list(FILE_COLUMNS) and header[0] == "行号"
    assert header[len(FILE_COLUMNS) : len(FILE_COLUMNS) + 4] == ["姓名", "身份证号", "操作项目", "证书编号"]
    assert "结论" in header and "问题" in header and "说明" in header
    assert sheet.max_row == ROWS + 1
    verify.screenshot(path=str(SHOTS / "verify.png"))

    exports = context.new_page()
    exports.goto(f"{dashboard_url}/exports")
    _ready(exports, "月度汇总表")
    _run_finished(exports)
    exports.get_by_role("button", name="生成汇总表").click()
    _ready(exports, "下载 汇总表-全部单位", timeout_ms=60_000)
    exports.screenshot(path=str(SHOTS / "exports.png"))
    context.close()
