"""核验名单: upload a roster, confirm its columns, see local problems by row, submit it to the verifier
service, follow the job live, read and download the results, save them against people and enterprises.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from anpei import clock
from dashboard import data, page_evidence, roster_preview, staff, ui, verify_results, verify_service
from dashboard.verifier_api import VerifierClient, VerifierError
from dashboard.verify_service import ACTIVE, RESUMABLE, Target
from db.records.common import InputError
from db.rules.access import AccessDenied
from db.xlsx.file_names import XLSX_MEDIA, download_name
from verifier.ids import mask_ids_in
from verifier.roster import RosterError, RosterTooLarge
from verifier.types import Family

K = "verify."
ROSTER_TYPES = ("xlsx", "xlsm", "csv", "xls")  # what the roster reader takes; the label says the same
FAMILIES = {Family.SPECIAL.value: "特种作业操作证", Family.SAFETY.value: "安全生产知识和管理能力考核合格证"}

principal = staff.principal()
client: VerifierClient = staff.client()


def sessions() -> Any:
    return data.session(data.database_url())


st.title("核验名单")
st.caption(
    "上传特种作业人员或主要负责人、安全生产管理人员名单，先在本地检查身份证号、姓名等，再提交全国查询平台批量核验。"
    "核验在后台进行，关闭浏览器后可在“最近的任务”中重新打开。"
)


# --- helpers -----------------------------------------------------------------------------------


def open_job(job_id: int) -> None:
    st.session_state[K + "job_id"] = job_id


def choose_target(prefix: str, *, default: dict[str, Any] | None = None) -> Target | None:
    """The enterprise or jurisdiction a roster belongs to (None when nothing can be chosen)."""
    refs = staff.jurisdictions(principal)
    if not refs:
        st.warning("数据库中还没有乡镇（街道），无法选择名单所属单位。")
        return None
    ids = [r.id for r in refs]
    names = {r.id: r.name for r in refs}
    default = default or {}
    start = ids.index(default["jurisdiction_id"]) if default.get("jurisdiction_id") in ids else 0
    left, right = st.columns(2)
    jid = left.selectbox(
        "所属乡镇（街道）或部门",
        ids,
        index=start,
        format_func=names.__getitem__,
        key=prefix + "jurisdiction",
        placeholder="请选择",
    )
    choices = staff.enterprises(jid)
    options: list[int | None] = [None, *[e.id for e in choices]]
    labels = {e.id: f"{e.name}（{e.uscc}）" if e.uscc else e.name for e in choices}
    start_e = options.index(default.get("enterprise_id")) if default.get("enterprise_id") in options else 0
    eid = right.selectbox(
        "所属企业",
        options,
        index=start_e,
        key=prefix + "enterprise",
        format_func=lambda i: "（整个辖区的名单：按“单位名称”列匹配企业）" if i is None else labels[i],
        placeholder="请选择",
    )
    if eid is None:
        return Target(jid, None, names[jid])
    return Target(None, eid, labels[eid], area_id=jid)


def evidence_panel() -> None:
    """One person checked from a result page saved from the platform's website."""
    st.caption(
        "在查询平台网站上人工查询后，把结果页面“另存为”网页（.html）上传：系统按与批量核验相同的规则得出结论，"
        "保存到该人员名下，页面原件留作证据。"
    )
    page = st.file_uploader("结果页面（.html）", type=["html", "htm"], key=K + "page.upload")
    c1, c2 = st.columns(2)
    name = c1.text_input("姓名", key=K + "page.name")
    id_number = c2.text_input("身份证号", key=K + "page.id")
    fam = st.radio(
        "证书类型", list(FAMILIES), format_func=FAMILIES.__getitem__, horizontal=True, key=K + "page.family"
    )
    c3, c4, c5 = st.columns(3)
    item = c3.text_input("操作项目（特种作业，可不填）", key=K + "page.item")
    cert = c4.text_input("名单所填证号（可不填）", key=K + "page.cert")
    person_type = c5.selectbox(
        "人员类型（安全合格证）",
        ["", "主要负责人", "安全生产管理人员"],
        key=K + "page.type",
        placeholder="请选择",
    )
    c6, c7 = st.columns(2)
    appointed = c6.date_input("任职日期（安全合格证，可不填）", value=None, key=K + "page.appointed")
    as_of = c7.date_input("核验基准日（查询当天）", value=clock.local_today(), key=K + "page.as_of")
    target = choose_target(K + "page.target.")
    if not st.button("核对页面并保存", key=K + "page.save", disabled=page is None or target is None):
        return
    assert page is not None and target is not None
    try:
        saved = verify_service.save_page_evidence(
            sessions,
            principal=principal,
            html=page.getvalue(),
            filename=page.name,
            name=name,
            id_number=id_number,
            family=Family(fam),
            as_of=as_of,
            checked_at=clock.utc_now(),
            target=target,
            cert_number=cert,
            item=item,
            person_type=person_type,
            appointment_date=appointed,
        )
        data.after_write(data.database_url())
    except (page_evidence.EvidenceError, InputError, AccessDenied) as exc:
        st.error(str(exc))
        return
    check, report = saved.check, saved.report
    decision = check.decision
    shown = f"结论：{decision.outcome.label}" + (f"（{decision.problem}）" if decision.problem else "")
    (st.success if decision.outcome.value.startswith("VALID") else st.warning)(shown)
    st.write(mask_ids_in(decision.explanation))  # masked on screen like everywhere else
    st.caption(report.summary if report.saved else "这个结论不是对人员的判断，未保存。")


# --- the service -------------------------------------------------------------------------------

try:  # township and unit staff: only the jobs of their own unit
    recent = verify_service.visible_jobs(client, sessions, principal=principal, limit=30)
except VerifierError as exc:
    st.error(exc.message, icon="🔌")
    st.stop()

with st.expander(f"最近的任务（{len(recent)}）", expanded=not recent or K + "job_id" not in st.session_state):
    if not recent:
        st.caption("还没有核验任务。")
    else:
        table = pd.DataFrame(
            [
                {
                    "任务": j["id"],
                    "名单": j["filename"],
                    "状态": j["status_label"],
                    "进度": f"{j['progress']['done']}/{j['progress']['total']}",
                    "提交时间": clock.format_local(j["created_at"]),
                    "基准日": j["as_of"],
                }
                for j in recent
            ]
        )
        st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 280))
        by_id = {int(j["id"]): j for j in recent}
        pick = st.selectbox(
            "重新打开任务",
            list(by_id),
            key=K + "pick",
            format_func=lambda i: f"任务 {i}：{by_id[i]['filename']}（{by_id[i]['status_label']}）",
            placeholder="请选择",
        )
        st.button("打开", key=K + "open", on_click=open_job, args=(pick,))


def progress_panel(job_id: int, was_active: bool) -> None:
    """Live progress (a fragment that reruns by itself while the job is active)."""
    try:
        now = client.job(job_id)
    except VerifierError as exc:
        st.error(exc.message)
        return
    progress = now["progress"]
    total = max(int(progress["total"]), 1)
    st.progress(
        int(progress["done"]) / total,
        text=f"{now['status_label']}，已核验 {progress['done']} / {progress['total']} 行",
    )
    cols = st.columns(4)
    cols[0].metric("总行数", progress["total"])
    cols[1].metric("已完成", progress["done"])
    cols[2].metric("待核验", progress["pending"])
    cols[3].metric("平台查询次数", now["platform_queries"])
    if progress["by_outcome"]:
        counts = verify_results.outcome_counts(
            [{"outcome": o} for o, n in progress["by_outcome"].items() for _ in range(n)]
        )
        st.caption("按结论：" + "　".join(f"{label} {n}" for label, n in counts.items()))
    if now.get("captcha_waiting"):
        st.warning("平台需要验证码：请到“验证码队列”输入图中数字（回车提交，下一张立即出现）。", icon="🔢")
        staff.page_link("captcha.py", "验证码队列", "🔢")
    if now.get("stop_reason"):
        st.error(now["stop_reason"], icon="⛔")
    if was_active and now["status"] not in ACTIVE:
        st.rerun(scope="app")


def upload_section() -> None:
    """① the roster: columns, mapping, local problems, the owner, submission."""
    st.subheader("① 上传名单")
    upload = st.file_uploader(
        f"名单文件（{ui.file_types_text(ROSTER_TYPES)}）",
        type=list(ROSTER_TYPES),
        key=K + "upload",
        help="表头须有姓名列和身份证号（或证书编号）列；标题行可以在表头之上。",
    )
    if upload is None:
        return
    raw = upload.getvalue()
    digest = hashlib.sha256(raw).hexdigest()[:12]
    as_of = st.date_input(
        "核验基准日", value=clock.local_today(), key=K + "as_of", help="按这一天判断证书是否过期、逾期复审。"
    )
    family = st.radio(
        "证书类型（名单中没有“证书类型”列时用）",
        list(FAMILIES),
        format_func=FAMILIES.__getitem__,
        horizontal=True,
        key=K + "family",
    )
    mapping: dict[str, str] = {}
    try:
        first = roster_preview.cached_preview(raw, filename=upload.name, family=Family(family), as_of=as_of)
        columns, recognised = first.columns, set(first.roster.columns)
    except RosterTooLarge as exc:  # over the caps: never read further by hand
        st.error(exc.message)
        return
    except RosterError as exc:
        first = None
        st.warning(f"{exc.message}。请指定表头所在的行，并说明各列的含义。", icon="🧭")
        try:
            _sheet, rows = roster_preview.header_candidates(raw, filename=upload.name)
        except RosterError as exc2:
            st.error(exc2.message)
            return
        header_row = int(st.number_input("表头在第几行", 1, len(rows), 1, key=K + "header_row"))
        columns = [roster_preview.ColumnInfo(text, None) for text in rows[header_row - 1] if text]
        recognised = set()

    st.markdown("**识别到的列**（请确认；未识别的列可以手动指定含义）")
    options = roster_preview.mapping_options(recognised)
    shown = []
    asked: set[str] = set()  # one question per header text: `备注,备注` share one (the mapping is by text)
    for index, column in enumerate(columns):
        if column.field is None and column.header not in asked:
            asked.add(column.header)
            choice = st.selectbox(
                f"“{ui.plain(column.header)}”列是",
                options,
                key=f"{K}map.{digest}.{index}.{column.header}",
                format_func=lambda f: roster_preview.FIELD_NAMES.get(f, "不使用"),
                placeholder="请选择",
            )
            if choice:
                mapping[column.header] = choice
        shown.append(
            {
                "文件中的列": column.header,
                "识别为": roster_preview.FIELD_NAMES[mapping[column.header]]
                if column.header in mapping
                else column.label,
            }
        )
    st.dataframe(pd.DataFrame(shown), hide_index=True, key=K + "columns", width=520)

    preview: roster_preview.Preview | None = first
    if mapping:  # read with the mapping as header synonyms; the file is sent as uploaded, with it
        try:
            preview = roster_preview.cached_preview(
                raw, filename=upload.name, family=Family(family), as_of=as_of, columns=mapping
            )
        except RosterError as exc:
            preview = None
            st.error(exc.message)
    if preview is None:
        st.info("表头须同时有姓名列和身份证号（或证书编号）列，请在上面指定。")
        return

    left, mid, right = st.columns(3)
    left.metric("名单行数", preview.total)
    mid.metric("本地检查通过", preview.total - preview.invalid)
    right.metric("有问题的行", preview.invalid)
    if preview.problems:
        st.error(
            f"以下 {len(preview.problems)} 处问题在提交前就能看出（这些行不会查询平台，结论为“信息有误”）：",
            icon="📝",
        )
        st.dataframe(
            pd.DataFrame(
                [{"行号": p.row or "", "姓名": p.name, "问题": p.message} for p in preview.problems]
            ),
            hide_index=True,
            width="stretch",
            key=K + "problems",
        )
    else:
        st.success("本地检查全部通过：身份证号校验位、出生日期、姓名均无问题。", icon="✅")
    with st.expander("预览前 200 行"):
        st.dataframe(pd.DataFrame(preview.sample()), hide_index=True, width="stretch")
    if preview.has_family_column:
        st.caption("名单中有“证书类型”列：每行按该列核验，空白行按上面的选择。")

    st.markdown("**名单所属单位**（核验结果保存到这家企业或辖区的人员名下）")
    target = choose_target(K + "target.")
    if st.button("提交核验", type="primary", key=K + "submit", disabled=target is None or preview.total == 0):
        assert target is not None
        try:
            job_id = verify_service.submit(
                client,
                sessions,
                principal=principal,
                data=raw,
                filename=upload.name,
                family=family,
                as_of=as_of,
                target=target,
                rows=preview.total,
                columns=mapping,
            )
        except (VerifierError, InputError, AccessDenied) as exc:
            st.error(getattr(exc, "message", None) or str(exc))
        else:
            open_job(job_id)
            st.toast(f"已提交：任务 {job_id}")


def job_section() -> None:
    """② the open job's progress and controls, ③ its results and saving."""
    job_id = st.session_state.get(K + "job_id")
    if job_id is None:
        return
    try:
        job = verify_service.open_job(client, sessions, principal=principal, job_id=int(job_id))
    except VerifierError as exc:
        st.error(exc.message)
        return
    except AccessDenied as exc:
        st.error(str(exc))
        return

    st.divider()
    st.subheader(f"② 任务 {job['id']}：{ui.plain(job['filename'])}")
    active = job["status"] in ACTIVE

    st.fragment(progress_panel, run_every=staff.REFRESH_S if active else None)(int(job["id"]), active)

    controls = st.columns([1, 1, 1, 5])
    try:
        if controls[0].button("暂停", key=K + "pause", disabled=not active):
            client.pause(int(job["id"]))
            st.rerun()
        if controls[1].button("继续", key=K + "resume", disabled=job["status"] not in RESUMABLE):
            client.resume(int(job["id"]))
            st.rerun()
        if controls[2].button("取消", key=K + "cancel", disabled=job["status"] not in ACTIVE | RESUMABLE):
            client.cancel(int(job["id"]))
            st.rerun()
    except VerifierError as exc:
        st.error(exc.message)

    if active:
        st.info("核验完成后在这里显示结果；进度每隔一两秒自动更新，页面其他部分可照常使用。")
        return

    st.subheader("③ 核验结果")
    rows = client.results(int(job["id"]))
    frame = verify_results.results_frame(rows)
    classes = [c for c in verify_results.CLASS_LABELS.values() if c in set(frame["类别"])]
    f1, f2, f3 = st.columns([3, 2, 2])
    wanted = f1.multiselect(
        "按结论类别筛选", classes, default=classes, key=K + "filter.class", placeholder="请选择（可多选）"
    )
    problems = ["全部", *sorted({p for p in frame["问题"] if p})]
    problem = f2.selectbox("问题", problems, key=K + "filter.problem", placeholder="请选择")
    needle = f3.text_input("姓名或身份证号后四位", key=K + "filter.text")
    view = frame[frame["类别"].isin(wanted)]
    if problem != "全部":
        view = view[view["问题"] == problem]
    if needle.strip():
        view = view[
            view["姓名"].str.contains(needle.strip(), regex=False)
            | view["身份证号"].str.endswith(needle.strip())
        ]

    def colour(row: pd.Series) -> list[str]:
        css = verify_results.row_colour(str(row["outcome"]))
        return [css if name in ("结论", "问题", "下一步") else "" for name in row.index]

    st.dataframe(
        view.style.apply(colour, axis=1),
        hide_index=True,
        width="stretch",
        key=K + "results",
        # 行号 to 下一步 fit a 1366×768 laptop; 说明, 提示 and the certificate's details follow to the right
        column_config={
            "outcome": None,
            "类别": None,
            "行号": st.column_config.NumberColumn(width=48),
            "姓名": st.column_config.TextColumn(width=64),
            "身份证号": st.column_config.TextColumn(width=150),
            "结论": st.column_config.TextColumn(width=88),
            "问题": st.column_config.TextColumn(width=110),
            "下一步": st.column_config.TextColumn(width=260),
            "说明": st.column_config.TextColumn(width=360),
            "提示": st.column_config.TextColumn(width=140),
        },
    )
    st.caption(
        f"显示 {len(view)} / {len(frame)} 行。红色：疑似无证或假证；橙色：证书失效或不符；灰色：未得出结论（不是对人员的判断）。"
    )

    full_ids = principal.may_reveal_ids and st.checkbox(
        "下载文件含完整身份证号（会记入审计日志）", key=K + "full_ids"
    )
    job_id = int(job["id"])
    stem = str(job["filename"]).rsplit(".", 1)[0]
    file_name = download_name(stem, "核验结果", f"任务{job_id}")
    full_key = f"{K}full_file.{job_id}"
    if full_ids:
        # The full-ID file is fetched only after its audit entry is committed (never built ahead).
        if st.button("生成含完整身份证号的文件（记入审计日志）", key=f"{K}full_ids.build.{job_id}"):
            try:
                st.session_state[full_key] = verify_service.full_id_file(
                    client, sessions, principal=principal, job_id=job_id
                )
            except VerifierError as exc:
                st.error(exc.message)
        if (payload := st.session_state.get(full_key)) is not None:
            st.download_button(
                "下载结果（Excel，含完整身份证号）",
                payload,
                file_name=file_name,
                mime=XLSX_MEDIA,
                key=f"{K}download.full.{job_id}",
                type="primary",
            )
    else:
        st.session_state.pop(full_key, None)
        st.download_button(  # the file is built when it is downloaded, not on every rerun
            "下载结果（Excel：保留原名单各列，追加核验结果列）",
            partial(verify_service.masked_file, client, sessions, principal=principal, job_id=job_id),
            file_name=file_name,
            mime=XLSX_MEDIA,
            key=K + "download",
            type="primary",
        )

    st.markdown(
        "**保存到数据库**（总览和乡镇页面的持证核查数字来自这里；只保存结论，同一任务重复保存会替换）"
    )
    known: dict[str, Any] | None = None
    try:
        outcome = verify_service.save_if_finished(sessions, principal=principal, client=client, job=job)
    except (InputError, AccessDenied, VerifierError, ValueError) as exc:
        st.error(f"自动保存失败，结果还没有保存：{exc}。请检查下面的所属单位后点“保存核验结果”。")
    else:
        if outcome.target is None:
            st.warning(outcome.message, icon="💾")
        else:
            if outcome.saved_now:
                data.after_write(data.database_url())  # the overview's certificate numbers change
            st.success(outcome.message, icon="💾")
            known = {"jurisdiction_id": outcome.target.area_id, "enterprise_id": outcome.target.enterprise_id}
    with st.expander("保存到其他单位或企业", expanded=known is None):
        chosen = choose_target(K + f"save.{job['id']}.", default=known)
        if (
            st.button("保存核验结果", key=K + f"save.{job['id']}", disabled=chosen is None)
            and chosen is not None
        ):
            try:
                st.toast(
                    verify_service.save_to(
                        sessions, principal=principal, client=client, job=job, target=chosen
                    )
                )
                data.after_write(data.database_url())  # the overview's certificate numbers change
                st.rerun()
            except (InputError, AccessDenied, VerifierError, ValueError) as exc:
                st.error(f"保存失败：{exc}")


tab_batch, tab_page = st.tabs(["批量核验名单", "上传查询页面作证据"])
with tab_page:
    evidence_panel()
with tab_batch:
    upload_section()
    job_section()
