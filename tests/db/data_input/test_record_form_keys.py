"""Guard for issue 10 item 3: on the data-entry pages, every input of a form is keyed through a
`RecordForm` (`form.key(...)`, see dashboard/input_ui.py), so its key carries the identity of the
record it edits (or of the unit and kind a new record is entered for). A widget keyed by its label
alone keeps its value when the record changes — and saves it onto the next one.

The check reads the pages' source (ast); the checker itself is tested on the pattern it must refuse.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAGES_DIR = Path(__file__).resolve().parents[3] / "dashboard" / "app_pages"
PAGES = sorted(PAGES_DIR.glob("data_*.py"))
INPUTS = {
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "time_input",
    "selectbox",
    "multiselect",
    "radio",
    "checkbox",
    "toggle",
    "select_slider",
    "slider",
    "file_uploader",
    "color_picker",
    "pills",
    "segmented_control",
    "feedback",
    "data_editor",
}
# forms that create a record with no unit or record to bind to (registering a new 12350 tip)
NO_CONTEXT_FORMS = {"tip_form"}


def _is_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name


def _keyed_by_record_form(expr: ast.AST | None) -> bool:
    """`form.key(...)` (any RecordForm variable)."""
    return expr is not None and _is_call(expr, "key")


def _literal_text(expr: ast.AST) -> str:
    return "".join(
        v.value for v in ast.walk(expr) if isinstance(v, ast.Constant) and isinstance(v.value, str)
    )


def violations(source: str, name: str = "<page>") -> list[str]:
    """Where a form or an input inside a form is not keyed through a RecordForm."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "record_form"
        ):
            identity = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(identity, ast.Tuple) and identity.elts):
                found.append(f"{name}:{node.lineno} record_form without a record identity")
        if not isinstance(node, ast.With):
            continue
        forms = [item.context_expr for item in node.items if _is_call(item.context_expr, "form")]
        if not forms:
            continue
        form = forms[0]
        assert isinstance(form, ast.Call)
        form_key = (
            form.args[0] if form.args else next((k.value for k in form.keywords if k.arg == "key"), None)
        )
        if form_key is not None and any(tag in _literal_text(form_key) for tag in NO_CONTEXT_FORMS):
            continue
        if not _keyed_by_record_form(form_key):
            found.append(f"{name}:{node.lineno} st.form not keyed by a RecordForm")
        for inner in (n for stmt in node.body for n in ast.walk(stmt)):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in INPUTS
            ):
                key = next((k.value for k in inner.keywords if k.arg == "key"), None)
                if not _keyed_by_record_form(key):
                    found.append(
                        f"{name}:{inner.lineno} {inner.func.attr} in a form not keyed by a RecordForm"
                    )
    return found


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_form_inputs_carry_the_record_identity(page: Path) -> None:
    assert violations(page.read_text(encoding="utf-8"), page.name) == []


def test_the_pages_are_found() -> None:
    assert {p.name for p in PAGES} >= {
        "data_monthly.py",
        "data_findings.py",
        "data_inspections.py",
        "data_other.py",
    }


def test_the_guard_refuses_inputs_keyed_by_label() -> None:
    """The pattern behind items 1 and 2: a form whose inputs are keyed by the page and label only."""
    bad = """
with left, st.form(f"{P}.rectify"):
    measure = st.text_input("整改措施", value=open_rows[chosen].measure, key=f"{P}.measure")
    when = a.date_input("整改完成日期", key=form.key("rectified_on"))
    st.form_submit_button("报告已整改")
form = iu.record_form(P, (), 1)
"""
    found = violations(bad)
    assert len(found) == 3, found
    assert any("st.form not keyed" in f for f in found) and any("text_input" in f for f in found)
    assert any("without a record identity" in f for f in found)
    good = """
form = iu.record_form(P, (chosen,), row.version)
with left, st.form(form.key("rectify")):
    measure = st.text_input("整改措施", value=open_rows[chosen].measure, key=form.key("measure"))
"""
    assert violations(good) == []
