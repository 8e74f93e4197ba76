"""Helpers shared by the data-input pages: who is acting, a committing session, messages.

The acting user is the `Principal` in `st.session_state["auth.principal"]` (the login gate puts
it there), else the one the login cookie stands for (`db.accounts.sessions`). Without either the page asks
to log in and stops. Every write runs in one transaction; afterwards the cached query results
are cleared so every page shows the new numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard import data, ui
from db.reads import jurisdiction_list
from db.records.common import FileImporter, ImportSummary, InputError
from db.records.row_versions import StaleRecord
from db.rules.access import AccessDenied, Principal, narrow
from db.xlsx.tables import ImportRefused

PRINCIPAL_KEY = "auth.principal"  # set by the login gate (dashboard.auth_ui)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


def principal() -> Principal:
    """The acting user; stops the page with a login prompt when nobody is logged in."""
    from dashboard.auth_ui import current

    return current()


@contextmanager
def writing(url: str) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, then drops the cached query results
    and starts computing the county-wide figures again (`data.after_write`)."""
    with data.session(url) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
    data.after_write(url)


@dataclass(frozen=True)
class RecordForm:
    """The inputs editing one record (a unit's month, a problem, an inspection …).

    Every widget key is made by `key`, so it carries the record's identity: another record gets
    other widgets, drawn from its own stored values, never the inputs left from the previous one.
    `version` is the record's version when the form was first drawn for it (kept across reruns until
    a save); the save service refuses a record changed since (`db.records.row_versions`).
    """

    page: str
    prefix: str
    version: int

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}"


def _loaded_slot(page: str) -> str:
    return f"{page}.loaded_form"


def record_form(page: str, identity: Sequence[object], version: int) -> RecordForm:
    """The form of the record `identity` (e.g. unit id and month) whose stored `version` is given;
    shows the refusal of the previous run when the record had changed under the form."""
    prefix = ".".join([page, *(str(part) for part in identity)])
    slot = _loaded_slot(page)
    held = st.session_state.get(slot)
    if not (isinstance(held, tuple) and held[0] == prefix):
        held = (prefix, version)
        st.session_state[slot] = held
    if (refusal := st.session_state.pop(f"{slot}.refusal", None)) is not None:
        st.error(refusal)
    return RecordForm(page, prefix, int(held[1]))


def _reload(form: RecordForm, message: str) -> None:
    """The record changed under the form: forget its inputs and loaded version, rerun from the database."""
    for key in [k for k in st.session_state if str(k).startswith(form.prefix + ".")]:
        del st.session_state[key]
    slot = _loaded_slot(form.page)
    st.session_state.pop(slot, None)
    st.session_state[f"{slot}.refusal"] = message
    st.rerun()


def attempt(
    action: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    form: RecordForm | None = None,
) -> T | None:
    """Run a write; show refusals (with every problem) instead of a traceback. None when refused.

    With `form`, the action returns the record's new version, which the form keeps; a refusal
    because the record changed since the form was loaded reloads the form from the database."""
    try:
        result = action()
    except StaleRecord as exc:
        if form is None:
            st.error(f"未保存：{exc}")
            return None
        _reload(form, f"未保存：{exc}")
        return None
    except ImportRefused as exc:
        # a problem of the whole file (a missing sheet) is a sentence: said in full, not cut off in a cell
        whole = "".join(f"\n\n{p}" for p in exc.problems if not p.row)
        st.error(f"未保存：共 {len(exc.problems)} 处问题，请改正后重新提交。{whole}")
        st.dataframe(
            problems_frame(exc),
            hide_index=True,
            width="stretch",
            column_config={"问题": st.column_config.TextColumn(width="large")},
        )
        return None
    except (InputError, AccessDenied, ValueError) as exc:
        st.error(f"未保存：{exc}")
        return None
    if form is not None and type(result) is int:  # the record's new version
        st.session_state[_loaded_slot(form.page)] = (form.prefix, result)
    if success:
        st.success(success(result) if callable(success) else success)
    return result


def problems_frame(exc: ImportRefused) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "工作表": p.sheet,
                "行": p.row or "",
                "列": p.column,
                "读到的值": p.value,
                "应为": p.expected,
                "问题": p.message,
            }
            for p in exc.problems
        ]
    )


def readable_jurisdictions(url: str, principal: Principal) -> list[jurisdiction_list.JurisdictionRef]:
    allowed = narrow(principal, None)
    refs = data.jurisdictions(url)
    return [r for r in refs if allowed is None or r.id in allowed]


def pick_jurisdiction(
    url: str, principal: Principal, *, key: str, label: str = "乡镇（街道）或成员单位"
) -> jurisdiction_list.JurisdictionRef:
    """A select box over the jurisdictions the user may read (only their own for township staff)."""
    refs = readable_jurisdictions(url, principal)
    if not refs:
        st.warning("还没有可选的乡镇（街道）或成员单位。")
        st.stop()
    by_id = {r.id: r for r in refs}
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = refs[0].id
    chosen = st.selectbox(
        label, list(by_id), key=key, format_func=lambda i: by_id[i].name, placeholder="请选择"
    )
    return by_id[chosen]


def read_only_note(principal: Principal) -> None:
    if not principal.can_write:
        st.info(f"{principal.role.label}账号为只读：可以查看，不能填报或修改。")


def uploaded_bytes(upload: Any) -> tuple[bytes, str] | None:
    if upload is None:
        return None
    return upload.getvalue(), upload.name


def template_and_import(
    *,
    key: str,
    url: str,
    principal: Principal,
    template: Callable[[], bytes],
    template_label: str,
    template_name: str,
    upload_label: str,
    importer: FileImporter,
) -> None:
    """A template download, an uploader for the filled-in file and 校验并导入, which imports it as `principal`
    in one transaction and says the import's summary (or every reason it was refused)."""
    st.download_button(
        template_label, data=template, file_name=template_name, mime=XLSX_MIME, key=f"{key}.template"
    )
    types = ("xlsx", "csv")  # the label says exactly the kinds the uploader takes
    upload = st.file_uploader(
        f"{upload_label}（{ui.file_types_text(types)}）",
        type=list(types),
        key=f"{key}.upload",
        disabled=not principal.can_write,
    )
    if st.button("校验并导入", key=f"{key}.import", disabled=upload is None or not principal.can_write):
        got = uploaded_bytes(upload)
        assert got is not None

        def _import() -> ImportSummary:
            with writing(url) as s:
                return importer(s, principal=principal, data=got[0], filename=got[1])

        attempt(_import, success=lambda r: r.summary)


def table(
    rows: Sequence[dict[str, Any]],
    *,
    empty: str,
    styler: Callable[[pd.DataFrame], Any] | None = None,
    key: str | None = None,
) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        st.caption(empty)
        return frame
    st.dataframe(
        styler(frame) if styler else frame, hide_index=True, placeholder="—", width="stretch", key=key
    )
    return frame
