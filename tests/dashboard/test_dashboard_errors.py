"""Tracebacks never reach the browser: Streamlit's error details are off and a page fault shows one
Chinese line (issue 11 item 12)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from anpei_cli.procs import streamlit_command

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_error_details_are_off_in_the_config_the_command_and_the_deployment() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    command = streamlit_command(host="127.0.0.1", port=8501)
    assert command[command.index("--client.showErrorDetails") + 1] == "none"
    assert "--client.showErrorDetails none" in (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def _failing_page() -> None:
    import streamlit as st

    from dashboard import ui

    def page() -> None:
        st.write("开始")
        raise KeyError("/opt/anpei/dashboard/secret_path.py 测试姓名 500230198001010011")

    ui.guarded(page, where="verify")


def test_a_page_fault_is_one_chinese_line_without_the_traceback() -> None:
    at = AppTest.from_function(_failing_page, default_timeout=30)
    at.run()
    assert not at.exception  # nothing for Streamlit to show with its traceback
    assert [e.value for e in at.error] == [
        "页面出错了，请刷新页面后重试；如仍出错，请联系管理员（出错情况已记入服务器日志）。"
    ]


def test_plain_user_text_forms_no_markdown() -> None:
    from dashboard.ui import plain

    attack = "[点此](http://127.0.0.1:9/x) ![i](https://127.0.0.1:9/p.png) **粗** <b>x</b> :red[红] $x$ www.a.cn\n# 标题"
    out = plain(attack)
    for forms in ("](", "![", "**", ":red[", "$x$", "http://", "www.", "\n"):
        assert forms not in out, forms
    assert "\\<b\\>" in out  # shown as typed
    assert plain("甲镇名单.csv") == "甲镇名单.csv" and plain("王伟") == "王伟"
