"""验证码队列 through AppTest: a queued job's captcha is shown, the typed answer is posted, the next
captcha (for the next person) is on the page after that one run, and the job finishes."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.verifier_api import VerifierClient
from tests.dashboard.staff.conftest import ROOT
from tests.kits.authkit import acting
from tests.kits.staffkit import CAPTCHA, ServiceRun, csv_bytes, roster_rows

PAGE = str(ROOT / "dashboard" / "app_pages" / "captcha.py")
pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")


def _wait(predicate: object, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_captchas_are_typed_one_after_another(
    queue_service: ServiceRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in queue_service.env.items():
        monkeypatch.setenv(key, value)
    client = VerifierClient(queue_service.url)
    crowd = queue_service.crowd[:3]
    job_id = int(
        client.submit_roster(csv_bytes(roster_rows(crowd)), filename="名单.csv", family="special")["job_id"]
    )

    at = acting(AppTest.from_file(PAGE, default_timeout=30))
    at.run()
    assert any("没有等待输入" in i.value for i in at.info) or at.get("image")
    _wait(lambda: client.captcha(job_id) is not None)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for index, person in enumerate(crowd):
        assert len(at.get("image")) == 1, "the captcha image is shown"
        assert person.name in _texts(at), (index, _texts(at))
        at.text_input(key="captcha.code").input(CAPTCHA)
        at.button[0].click().run()  # the form's submit button: Enter in a browser
        assert not at.exception, [e.value for e in at.exception]
        assert not at.warning, [w.value for w in at.warning]
    assert client.job(job_id)["status"] == "done"
    assert any("没有等待输入" in i.value for i in at.info)
    assert "本次已输入 3 张" in "\n".join(c.value for c in at.caption)
    # the finished job is announced, with the way to its results (issue 15 item 7)
    assert [s.value for s in at.success] == [f"任务 {job_id}（名单.csv）已完成：已核验 3 / 3 行。"]
    assert at.button(key=f"captcha.results.{job_id}").label == f"查看任务 {job_id} 的核验结果"
    rows = client.results(job_id)
    assert [r["结论"] for r in rows] == ["有效", "有效", "有效"]


def test_a_wrong_answer_is_asked_again(queue_service: ServiceRun, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in queue_service.env.items():
        monkeypatch.setenv(key, value)
    client = VerifierClient(queue_service.url)
    person = queue_service.crowd[0]
    job_id = int(
        client.submit_roster(csv_bytes(roster_rows([person])), filename="名单.csv", family="special")[
            "job_id"
        ]
    )
    _wait(lambda: client.captcha(job_id) is not None)
    at = acting(AppTest.from_file(PAGE, default_timeout=30))
    at.run()
    at.text_input(key="captcha.code").input("0000")
    at.button[0].click().run()
    assert person.name in _texts(at) and "第 2 次尝试" in _texts(at)
    at.text_input(key="captcha.code").input(CAPTCHA)
    at.button[0].click().run()
    assert client.job(job_id)["status"] == "done"
    assert client.results(job_id)[0]["结论"] == "有效"


def test_file_names_and_roster_names_are_not_markdown(
    queue_service: ServiceRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link and an auto-loading image in a file name were rendered in the queue (issue 11 item 7)."""
    for key, value in queue_service.env.items():
        monkeypatch.setenv(key, value)
    client = VerifierClient(queue_service.url)
    name = "[点此领奖](http://127.0.0.1:9/x)![i](http://127.0.0.1:9/p.png).csv"
    job_id = int(
        client.submit_roster(
            csv_bytes(roster_rows(queue_service.crowd[:1])), filename=name, family="special"
        )["job_id"]
    )
    _wait(lambda: client.captcha(job_id) is not None)
    at = acting(AppTest.from_file(PAGE, default_timeout=30))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert "点此领奖" in text
    assert "](" not in text and "![" not in text  # every bracket and colon is escaped: no link, no image
    assert "\\[点此领奖\\]\\(http\\://127.0.0.1\\:9/x\\)" in text
    client.cancel(job_id)
