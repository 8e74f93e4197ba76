"""The running dashboard in Debian's Chromium (Playwright): every page renders real content.

Starts `streamlit run dashboard/app.py` (the project's own command line) on a free loopback port
against a seeded temporary SQLite county (full scale), opens each page, waits for a known Chinese text and
saves a screenshot to docs/screenshots/<page>.png (the README shows them).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from anpei.procs import free_port, streamlit_command, wait_http
from tests.dashboard.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 2200}

CHART = '[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas'
TABLE = '[data-testid="stDataFrame"] canvas'
# page → (path, a text that only appears once the page's data is drawn, a drawn element, texts that must be there)
PAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "overview": ("", "月报（汇总表）报送情况", CHART, ("总览", "检查覆盖", "无证上岗", "乡镇（街道）排名", "需关注")),
    "township": ("township?j=500230001", "问题清单：整改中与逾期", CHART,
                 ("三合街道", "辖区企业与检查覆盖", "证书核查结果")),
    "assessment": ("assessment", "单位得分明细", TABLE, ("季度考核", "下载本季度通报", "小分母保护")),
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
    if not Path(CHROMIUM).exists():
        pytest.fail("缺少 /usr/bin/chromium：请运行 make browser（安装 chromium 与 fonts-noto-cjk）")
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "streamlit.log"
    env = {**os.environ, "DATABASE_URL": county_url}
    env.pop("ANPEI_SCORING_RULES", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(streamlit_command(host="127.0.0.1", port=port), env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        if not wait_http(f"{url}/_stcore/health", proc=proc, timeout_s=60):
            pytest.fail(f"看板未能启动：{log.read_text(errors='replace')[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_real_content_and_is_captured(dashboard_url: str, browser: object, name: str) -> None:
    path, ready, drawn, expected = PAGES[name]
    page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        page.goto(f"{dashboard_url}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
        page.get_by_text(ready, exact=False).first.wait_for(timeout=60_000)
        # charts and tables draw after the text; wait until the script has finished running
        page.wait_for_function(
            """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=60_000
        )
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
        assert target.stat().st_size > 50_000  # a drawn page, not an empty shell
    finally:
        page.close()
