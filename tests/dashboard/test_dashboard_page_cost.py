"""What keeps a page run cheap when many users click at once (issue 16): the settings are read once
until the environment changes, the account's unit name comes from the shared (write-invalidated)
list, cache keys hash principals and dates by their fields, and the first pages' tables carry no
pandas Styler (a state is a coloured pill by column configuration)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from anpei.settings import get_settings
from dashboard import auth_ui, data, ui
from db.codes import Role
from db.engine import make_engine
from db.models import Jurisdiction
from db.rules import scoring
from db.rules.access import Principal
from tests.dashboard.conftest import APP
from tests.kits.authkit import logged_in

pytestmark = pytest.mark.usefixtures("clean_streamlit_caches")


@pytest.fixture
def own_copy(sample_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of the sample county this test may write to, as DATABASE_URL."""
    copy = tmp_path / "county.db"
    shutil.copyfile(sample_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ANPEI_SCORING_RULES", raising=False)
    yield url


def test_settings_are_read_once_and_again_after_the_environment_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///a.db")
    first = get_settings()
    assert data.database_url() == "sqlite:///a.db"
    assert get_settings() is first, "unchanged environment: the settings read last time"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///b.db")
    assert data.database_url() == "sqlite:///b.db"
    rules = tmp_path / "rules.toml"
    rules.write_text("", encoding="utf-8")
    monkeypatch.setenv("ANPEI_SCORING_RULES", str(rules))
    assert data.rules_key() == (str(rules), rules.stat().st_mtime)
    monkeypatch.delenv("ANPEI_SCORING_RULES")
    assert data.rules_key()[0] == str(scoring.rules_path())


def test_the_unit_name_in_the_sidebar_follows_a_write_after_invalidate(own_copy: str) -> None:
    url = own_copy
    ref = data.jurisdictions(url)[0]
    who = Principal(username="staff", role=Role.LOCAL_STAFF, jurisdiction_id=ref.id)
    assert auth_ui._unit_name(url, who) == ref.name
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            row = s.exec(select(Jurisdiction).where(Jurisdiction.id == ref.id)).one()
            row.name = "改名街道"
            s.add(row)
            s.commit()
    finally:
        engine.dispose()
    assert auth_ui._unit_name(url, who) == ref.name, "the shared list answers until a write says so"
    data.invalidate()
    assert auth_ui._unit_name(url, who) == "改名街道"


def test_cache_keys_tell_principals_and_days_apart(own_copy: str) -> None:
    url = own_copy
    refs = data.jurisdictions(url)
    campaign = data.campaigns(url)[0]
    one = Principal(username="a", role=Role.LOCAL_STAFF, jurisdiction_id=refs[0].id)
    other = Principal(username="a", role=Role.LOCAL_STAFF, jurisdiction_id=refs[1].id)
    day = dt.date(2023, 10, 31)
    mine = data.grid(url, one, campaign.id, day)
    theirs = data.grid(url, other, campaign.id, day)
    assert {c.jurisdiction_id for c in mine} == {refs[0].id}
    assert {c.jurisdiction_id for c in theirs} == {refs[1].id}
    assert data.grid(url, one, campaign.id, day) is mine, "the same key: the shared object"
    earlier = data.grid(url, one, campaign.id, dt.date(2023, 5, 1))
    assert earlier is not mine and earlier != mine


def _page(url: str, user: str) -> AppTest:
    at = logged_in(AppTest.from_file(APP, default_timeout=60), url, user)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize(("user", "title"), [("leader", "总览"), ("sanhe", "三合街道")])
def test_first_pages_send_no_styler_and_show_states_as_pills(own_copy: str, user: str, title: str) -> None:
    at = _page(own_copy, user)
    assert at.title[0].value == title
    assert at.dataframe, "the page has tables"
    for table in at.dataframe:
        assert not table.proto.arrow_data.styler.styles, "a plain table, no pandas Styler"
    # AppTest keeps no table keys: 总览's ranking has 需关注, the township's monthly tables 填报人
    marker, column = ("需关注", "月报") if user == "leader" else ("填报人", "状态")
    states = next(t.value for t in at.dataframe if marker in t.value.columns)[column]
    labels = {x for cell in states for x in cell}
    assert labels and labels <= set(ui.LABEL_COLOURS), labels
    assert all(len(cell) == 1 for cell in states)


def test_a_chart_spec_is_encoded_once_shared_and_dropped_by_invalidate(own_copy: str) -> None:
    import pandas as pd
    import streamlit as st

    from dashboard import charts

    built: list[str] = []

    def build(label: str) -> charts.Spec:
        built.append(label)
        frame = pd.DataFrame(
            {"季度": ["一季度", "二季度"], "总分": [80.0, 90.0], "排名": ["1/2", "1/2"], "等次": ["好", "好"]}
        )
        return charts.configure(charts.score_line(frame))

    key = ("test", "2023-07")
    first = data.chart(own_copy, key, lambda: build("one"))
    assert isinstance(first["datasets"]["data"], bytes) and first["data"] == {"name": "data"}
    assert data.chart(own_copy, key, lambda: build("two")) is first and built == ["one"]
    st.vega_lite_chart(spec=first)  # Streamlit copies the spec's top level: the shared one stays whole
    st.vega_lite_chart(spec=first)
    assert isinstance(first["datasets"]["data"], bytes)
    data.invalidate()  # after a write
    assert data.chart(own_copy, key, lambda: build("three")) is not first and built == ["one", "three"]


def test_a_shared_table_is_converted_to_arrow_once_and_as_streamlit_would() -> None:
    import gc

    import pandas as pd
    from streamlit import dataframe_util

    frame = pd.DataFrame({"单位": ["三合街道", "建设局"], "数量": pd.array([3, None], dtype="Int64")})
    first = ui.arrow(frame)
    assert ui.arrow(frame) is first, "the same frame object: converted once"
    assert first.equals(dataframe_util.convert_pandas_df_to_arrow_table(frame))
    copy = frame.copy()
    assert ui.arrow(copy) is not first and ui.arrow(copy).equals(first)
    key = id(copy)
    assert key in ui._ARROW
    del copy
    gc.collect()
    assert key not in ui._ARROW, "a frame that died takes its Arrow table with it"
    assert id(frame) in ui._ARROW


@pytest.mark.parametrize("user", ["leader", "sanhe"])
def test_a_rerun_sends_the_shared_tables_without_building_them_again(
    own_copy: str, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run of a first page (another session, or a sidebar change) builds no table: every
    plain table is a shared frame whose Arrow form was made on the first run, and it shows the same."""
    import pandas as pd

    first = _page(own_copy, user)
    converted: list[int] = []
    real = ui.dataframe_util.convert_pandas_df_to_arrow_table

    def counting(frame: object, **kwargs: object) -> object:
        converted.append(1)
        return real(frame, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ui.dataframe_util, "convert_pandas_df_to_arrow_table", counting)
    again = _page(own_copy, user)
    assert converted == [], "no table converted again"
    assert len(again.dataframe) == len(first.dataframe) >= 2
    for shown, before in zip(again.dataframe, first.dataframe, strict=True):
        pd.testing.assert_frame_equal(shown.value, before.value)
