"""验证码队列: the platform's captcha for the job that waits, an input already focused; typing the
digits and pressing Enter sends the answer and shows the next captcha at once.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from dashboard import data, staff, ui
from dashboard.verifier_api import Captcha, VerifierClient, VerifierError
from db.records import verifier_jobs

K = "captcha."
INPUT_LABEL = "验证码"
NEXT_WAIT_S = 8.0  # after an answer: how long to wait for the next captcha before showing "waiting"

principal = staff.principal()
client: VerifierClient = staff.client()
ACTIVE = {"queued", "running", "waiting_captcha"}
st.session_state.setdefault(K + "answered", 0)
st.session_state.setdefault(K + "seconds", 0.0)
typed: dict[int, str] = st.session_state.setdefault(K + "typed", {})  # job → file name, typed for here
announced: set[int] = st.session_state.setdefault(K + "announced", set())

st.title("验证码队列")
st.caption(
    "全国查询平台每查询一人都要输入一次验证码。在下面输入图中数字后按回车，下一张会立即出现；"
    "多个核验任务同时等待时按提交先后依次显示。"
)


def wait_for_next(job_id: int) -> None:
    """After an answer the runner queries the platform, then fetches the next captcha: wait for it."""
    deadline = time.monotonic() + NEXT_WAIT_S
    while time.monotonic() < deadline:
        try:
            if client.captcha(job_id) is not None:
                return
            if client.job(job_id).get("status") not in ("queued", "running", "waiting_captcha"):
                return
        except VerifierError:
            return
        time.sleep(0.05)


def send_answer(job_id: int, shown_at: float) -> None:
    """The form's callback: runs before the page is drawn again, so the next captcha is drawn at once."""
    code = str(st.session_state.get(K + "code", "")).strip()
    if not code:
        return
    try:
        accepted = client.answer_captcha(job_id, code)
    except VerifierError as exc:
        st.session_state[K + "error"] = exc.message
        return
    if not accepted:
        st.session_state[K + "error"] = "这张验证码已失效（任务已暂停、取消，或已在别处输入），已换下一张。"
        return
    st.session_state[K + "answered"] += 1
    st.session_state[K + "seconds"] += time.monotonic() - shown_at
    typed.setdefault(job_id, str(st.session_state.get(K + "filename", "")))
    wait_for_next(job_id)


def focus_input() -> None:
    """Keep the cursor in the captcha input: a small page script, installed once, that focuses the
    input whenever nothing else has the focus (the form's rerun after Enter drops it)."""
    st.html(
        f"""<script>
        if (!window.anpeiCaptchaFocus) {{
          window.anpeiCaptchaFocus = setInterval(() => {{
            const input = document.querySelector('input[aria-label="{INPUT_LABEL}"]');
            const active = document.activeElement;
            if (input && !input.disabled && (!active || active === document.body)) input.focus();
          }}, 60);
        }}
        </script>""",
        unsafe_allow_javascript=True,
        width="content",
    )


def mine(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The waiting jobs this user may type for (township and unit staff: their own unit's)."""
    if principal.sees_all or not jobs:
        return jobs
    with data.session(data.database_url()) as session:
        keys = verifier_jobs.visible_jobs(
            session, principal=principal, jobs=[verifier_jobs.job_key(j) for j in jobs]
        )
    return [j for j in jobs if verifier_jobs.job_key(j) in keys]


def finished_jobs() -> list[dict[str, Any]]:
    """The jobs typed for on this page that have ended (done, cancelled, stopped), oldest first."""
    out = []
    for job_id in sorted(typed):
        try:
            job = client.job(job_id)
        except VerifierError:
            continue
        if job.get("status") not in ACTIVE:
            out.append(job)
    return out


def open_results(job_id: int) -> None:
    """Open 核验名单 on this job's results (the page shows the job kept in its session state)."""
    st.session_state["verify.job_id"] = job_id
    typed.pop(job_id, None)
    st.switch_page("app_pages/verify.py")


def finished_notices() -> None:
    """Say which jobs typed for here have ended, each with a way to its results."""
    for job in finished_jobs():
        job_id = int(job["id"])
        progress = job["progress"]
        note = st.success if job.get("status") == "done" else st.warning
        note(
            f"任务 {job_id}（{job['filename']}）{job['status_label']}：已核验 {progress['done']} / "
            f"{progress['total']} 行。",
            icon="✅" if job.get("status") == "done" else "⚠️",
        )
        if st.button(f"查看任务 {job_id} 的核验结果", key=f"{K}results.{job_id}"):
            open_results(job_id)
        announced.add(job_id)


def waiting_panel() -> None:
    """Nothing to type: look again every moment and draw the page anew once a captcha waits or a
    job typed for here has ended."""
    try:
        waiting = mine(client.waiting_captchas())
    except VerifierError as exc:
        st.error(exc.message, icon="🔌")
        return
    if waiting or any(int(j["id"]) not in announced for j in finished_jobs()):
        st.rerun(scope="app")
    st.info("现在没有等待输入的验证码。提交核验后，验证码会自动出现在这里。", icon="⏳")


try:
    queue = mine(client.waiting_captchas())
except VerifierError as exc:
    st.error(exc.message, icon="🔌")
    st.stop()

if error := st.session_state.pop(K + "error", None):
    st.warning(error)

captcha: Captcha | None = None
job = None
for candidate in queue:
    try:
        captcha = client.captcha(int(candidate["id"]))
    except VerifierError:
        captcha = None
    if captcha is not None:
        job = candidate
        break

finished_notices()
answered = int(st.session_state[K + "answered"])
if answered:
    st.caption(f"本次已输入 {answered} 张，平均每张 {st.session_state[K + 'seconds'] / answered:.1f} 秒。")

if captcha is None or job is None:
    st.fragment(waiting_panel, run_every=staff.REFRESH_S)()
    st.stop()

progress = job["progress"]
st.session_state[K + "filename"] = job["filename"]
left, right = st.columns([2, 3])
with left:
    st.image(captcha.image_png, width=240, caption="请输入图中的数字")
    with st.form(K + "form", clear_on_submit=True, enter_to_submit=True, border=False):
        st.text_input(
            INPUT_LABEL, key=K + "code", max_chars=8, placeholder="输入数字后按回车", autocomplete="off"
        )
        st.form_submit_button(
            "提交（回车）", type="primary", on_click=send_answer, args=(captcha.job_id, time.monotonic())
        )
with right:
    st.markdown(f"**任务 {job['id']}**：{ui.plain(job['filename'])}")
    st.markdown(
        f"正在查询：**{ui.plain(captcha.name)}**（{ui.plain(captcha.masked_id)}）"
        + ("" if captcha.attempt <= 1 else f"，第 {captcha.attempt} 次尝试")
    )
    total = max(int(progress["total"]), 1)
    st.progress(int(progress["done"]) / total, text=f"已核验 {progress['done']} / {progress['total']} 行")
    others = len(queue) - 1
    if others > 0:
        st.caption(f"另有 {others} 个任务在等待验证码，本任务完成后依次显示。")
focus_input()
