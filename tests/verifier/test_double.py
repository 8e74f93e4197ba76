"""The platform test double: cassette loading and matching, and the HTTP surface of FORMAT.md."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from verifier.cassettes import (
    CassetteError,
    CassetteSet,
    DelayedResponse,
    PlainResponse,
    SequenceResponse,
    load_cassettes,
    resolve,
)
from verifier.double import CAPTCHA_PATH, QUERY_PATH, DoubleState, create_app, running_double, serving

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = Path(__file__).resolve().parent / "platform_cassettes"
SHARED_EXAMPLES = ROOT.parent / "shared" / "platform-cassettes" / "examples"


def _write(directory: Path, name: str, doc: Any) -> Path:
    path = directory / name
    path.write_text(
        json.dumps(doc, ensure_ascii=False) if not isinstance(doc, str) else doc, encoding="utf-8"
    )
    return path


def _cassette(*interactions: dict[str, Any]) -> dict[str, Any]:
    return {"format": "anpei-platform-cassette/1", "note": "test", "interactions": list(interactions)}


# --- loading ---------------------------------------------------------------------------------


def test_fixture_cassettes_load() -> None:
    cassettes = load_cassettes(CASSETTES)
    assert len(cassettes.interactions) >= 30
    sources = [i.source.split("#")[0] for i in cassettes.interactions]
    assert sources == sorted(sources)  # name order


def test_example_copies_match_the_shared_examples() -> None:
    if not SHARED_EXAMPLES.is_dir():
        pytest.skip("shared examples not present")
    for path in SHARED_EXAMPLES.glob("*.json"):
        assert (CASSETTES / path.name).read_bytes() == path.read_bytes(), path.name


BAD_CASSETTES = [
    ("not json", "{", "不是有效的 JSON"),
    ("array", [], "应为 JSON 对象"),
    ("format", {"format": "other/1", "interactions": []}, "format"),
    ("no interactions", {"format": "anpei-platform-cassette/1"}, "interactions"),
    ("no match", _cassette({"response": {"status": 200}}), "match"),
    ("no id", _cassette({"match": {"name": "刘洋"}, "response": {}}), "idcardNum"),
    (
        "bad family",
        _cassette({"match": {"idcardNum": "1", "family": "other"}, "response": {}}),
        "special 或 safety",
    ),
    (
        "unknown match key",
        _cassette({"match": {"idcardNum": "1", "idcard": "2"}, "response": {}}),
        "未知字段",
    ),
    ("no response", _cassette({"match": {"idcardNum": "1"}}), "response"),
    ("bad status", _cassette({"match": {"idcardNum": "1"}, "response": {"status": 999}}), "status"),
    (
        "json and text",
        _cassette({"match": {"idcardNum": "1"}, "response": {"json": {}, "text": "x"}}),
        "json",
    ),
    ("unknown response key", _cassette({"match": {"idcardNum": "1"}, "response": {"body": "x"}}), "未知字段"),
    ("delay without then", _cassette({"match": {"idcardNum": "1"}, "response": {"delay_s": 1}}), "delay_s"),
    (
        "negative delay",
        _cassette({"match": {"idcardNum": "1"}, "response": {"delay_s": -1, "then": {}}}),
        "delay_s",
    ),
    ("empty sequence", _cassette({"match": {"idcardNum": "1"}, "response": {"sequence": []}}), "sequence"),
    (
        "bad item in sequence",
        _cassette(
            {"match": {"idcardNum": "1"}, "response": {"sequence": [{"status": 200}, {"status": "x"}]}}
        ),
        "sequence 第 2 项",
    ),
]


@pytest.mark.parametrize("label,doc,fragment", BAD_CASSETTES, ids=[c[0] for c in BAD_CASSETTES])
def test_bad_cassettes_raise_chinese_errors_naming_the_file(
    tmp_path: Path, label: str, doc: Any, fragment: str
) -> None:
    _write(tmp_path, "01-good.json", _cassette({"match": {"idcardNum": "1"}, "response": {}}))
    _write(tmp_path, "02-bad-one.json", doc)
    with pytest.raises(CassetteError) as info:
        load_cassettes(tmp_path)
    message = str(info.value)
    assert "02-bad-one.json" in message and fragment in message


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="不存在"):
        load_cassettes(tmp_path / "nope")


def test_response_forms_resolve() -> None:
    cassettes = load_cassettes(CASSETTES / "retry-502-502-200.json")
    response = cassettes.interactions[0].response
    assert isinstance(response, SequenceResponse)
    assert [resolve(response, n)[1].status for n in range(5)] == [502, 502, 200, 200, 200]
    delayed = DelayedResponse(
        0.5, SequenceResponse((PlainResponse(500), DelayedResponse(1.0, PlainResponse(200))))
    )
    assert resolve(delayed, 0) == (0.5, PlainResponse(500))
    assert resolve(delayed, 1) == (1.5, PlainResponse(200))


# --- matching --------------------------------------------------------------------------------

MATCHING = _cassette(
    {
        "match": {"idcardNum": "50022419800101301x", "family": "special", "name": " 欧阳 明 "},
        "response": {"status": 201},
    },
    {"match": {"idcardNum": "50022419800101301X", "family": "safety"}, "response": {"status": 202}},
    {"match": {"idcardNum": "50022419800101301X"}, "response": {"status": 203}},
    {"match": {"idcardNum": "50022419800101301X", "family": "special"}, "response": {"status": 204}},
)


@pytest.mark.parametrize(
    "idcard,name,code,expected",
    [
        ("50022419800101301X", "欧阳明", "03", 201),
        (" 50022419800101301x ", "欧阳\u3000明", "03", 201),  # ID trimmed and upper-cased, any white space
        ("50022419800101301X", "欧阳敏", "03", 203),  # other name: falls to the name-less, family-less one
        ("50022419800101301X", "欧阳明", "01", 202),
        ("50022419800101301X", "欧阳明", "99", 203),  # unknown code: only interactions without family
        ("50022419800101301X", "欧阳明", None, 203),
        ("500224198001013021", "欧阳明", "03", None),
    ],
)
def test_matching_rules(
    tmp_path: Path, idcard: str, name: str, code: str | None, expected: int | None
) -> None:
    _write(tmp_path, "a.json", MATCHING)
    cassettes = load_cassettes(tmp_path)
    index = cassettes.find(idcard_num=idcard, name=name, person_type_code=code)
    if expected is None:
        assert index is None
    else:
        assert index is not None
        assert resolve(cassettes.interactions[index].response, 0)[1].status == expected


def test_first_file_in_name_order_wins(tmp_path: Path) -> None:
    entry = {"match": {"idcardNum": "500224198001013021"}}
    _write(tmp_path, "b.json", _cassette({**entry, "response": {"status": 202}}))
    _write(tmp_path, "a.json", _cassette({**entry, "response": {"status": 201}}))
    cassettes = load_cassettes(tmp_path)
    index = cassettes.find(idcard_num="500224198001013021", name="x", person_type_code="03")
    assert index == 0 and cassettes.interactions[0].source == "a.json#1"


# --- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def double() -> Iterator[tuple[str, DoubleState]]:
    app = create_app(CASSETTES)
    with serving(app) as url:
        yield url, app.state.double


def _captcha(session: requests.Session, url: str) -> dict[str, Any]:
    response = session.get(url + CAPTCHA_PATH, timeout=5)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _query(
    session: requests.Session,
    url: str,
    *,
    idcard: str,
    name: str,
    code: str = "8888",
    key: str | None = None,
    ptype: str = "03",
) -> requests.Response:
    if key is None:
        key = _captcha(session, url)["uuid"]
    params = {
        "name": name,
        "searchType": "1",
        "idcardNum": idcard,
        "idcardTypeCode": "01",
        "code": code,
        "uuid": key,
        "personTypeCode": ptype,
    }
    return session.get(url + QUERY_PATH, params=params, timeout=5)


def test_captcha_endpoint(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    with requests.Session() as session:
        first, second = _captcha(session, url), _captcha(session, url)
    assert first["code"] == 200 and first["msg"] == "操作成功"
    assert uuid.UUID(first["uuid"]).version == 4 and first["uuid"] != second["uuid"]
    assert not first["img"].startswith("data:")
    image = Image.open(io.BytesIO(base64.b64decode(first["img"], validate=True)))
    assert image.format == "PNG"


def test_valid_query_answers_the_cassette(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    with requests.Session() as session:
        response = _query(session, url, idcard="500230198806143136", name="刘 洋")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == 200 and body["data"][0]["certNum"] == "T500230198806143136"


def test_no_match_is_an_empty_list(double: tuple[str, DoubleState]) -> None:
    url, _ = double
    with requests.Session() as session:
        body = _query(session, url, idcard="500224198001013021", name="无名").json()
    assert body == {"code": 200, "msg": "查询成功", "data": []}


REJECTED = {"code": 500, "msg": "验证码错误", "data": None}


@pytest.mark.parametrize(
    "case", ["wrong", "missing-code", "missing-uuid", "unknown-uuid", "reused", "reused-after-wrong"]
)
def test_captcha_refusals(double: tuple[str, DoubleState], case: str) -> None:
    url, state = double
    idcard, name = "500230198806143136", "刘洋"
    with requests.Session() as session:
        key = _captcha(session, url)["uuid"]
        if case == "wrong":
            response = _query(session, url, idcard=idcard, name=name, code="1234", key=key)
        elif case == "missing-code":
            response = _query(session, url, idcard=idcard, name=name, code="", key=key)
        elif case == "missing-uuid":
            response = session.get(
                url + QUERY_PATH, params={"idcardNum": idcard, "name": name, "code": "8888"}, timeout=5
            )
        elif case == "unknown-uuid":
            response = _query(session, url, idcard=idcard, name=name, key=str(uuid.uuid4()))
        elif case == "reused":
            assert _query(session, url, idcard=idcard, name=name, key=key).json()["code"] == 200
            response = _query(session, url, idcard=idcard, name=name, key=key)
        else:  # a wrong answer consumes the uuid too
            assert _query(session, url, idcard=idcard, name=name, code="0000", key=key).json() == REJECTED
            response = _query(session, url, idcard=idcard, name=name, key=key)
    assert response.status_code == 200 and response.json() == REJECTED
    assert state.captchas_refused >= 1


def test_refused_captchas_do_not_count_sequence_steps(double: tuple[str, DoubleState]) -> None:
    url, state = double
    idcard, name = "500233198603217536", "吴磊"  # sequence 502, 502, 200
    statuses = []
    with requests.Session() as session:
        for code in ["0000", "8888", "0000", "8888", "1111", "8888", "8888"]:
            statuses.append(_query(session, url, idcard=idcard, name=name, code=code).status_code)
    assert statuses == [200, 502, 200, 502, 200, 200, 200]
    assert sum(state.sequence_counts.values()) == 4


@pytest.mark.parametrize(
    "idcard,name,status,content_type,body_start",
    [
        ("500230199001096410", "周杰", 403, "text/html", "<!DOCTYPE html>"),  # text with content_type
        ("500101199207168603", "郑丽", 429, None, ""),  # bare status, empty body
        ("500224198402293392", "魏然", 200, "text/plain", "OK"),
        ("500224198203123059", "蒋涛", 500, "text/html;charset=UTF-8", "<html>"),  # content_type default
        ("500224198708173158", "秦朗", 200, "application/json;charset=UTF-8", '{"code": 200'),
    ],
)
def test_response_forms_over_http(
    double: tuple[str, DoubleState],
    idcard: str,
    name: str,
    status: int,
    content_type: str | None,
    body_start: str,
) -> None:
    url, _ = double
    with requests.Session() as session:
        response = _query(session, url, idcard=idcard, name=name)
    assert response.status_code == status
    if content_type is None:
        assert response.content == b""
    else:
        assert response.headers["content-type"].startswith(content_type)
        assert response.text.startswith(body_start)


def test_delay_then_answer() -> None:
    with running_double(CASSETTES) as url, requests.Session() as session:
        start = time.monotonic()
        response = _query(session, url, idcard="500224198405143090", name="韩冰")
        assert time.monotonic() - start >= 1.4
    assert response.json()["code"] == 200


def test_latency_is_added_to_every_response() -> None:
    with (
        running_double(CASSETTES, latency_ms=150, captcha_answer="4321") as url,
        requests.Session() as session,
    ):
        start = time.monotonic()
        key = _captcha(session, url)["uuid"]
        assert time.monotonic() - start >= 0.15
        start = time.monotonic()
        body = _query(session, url, idcard="500230198806143136", name="刘洋", code="4321", key=key).json()
        assert time.monotonic() - start >= 0.15
    assert body["code"] == 200


def test_running_double_stops_on_exit() -> None:
    with running_double(CASSETTES) as url:
        assert requests.get(url + CAPTCHA_PATH, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(url + CAPTCHA_PATH, timeout=2)


def test_empty_cassette_set_answers_nothing_on_record() -> None:
    with running_double(CassetteSet()) as url, requests.Session() as session:
        assert _query(session, url, idcard="500230198806143136", name="刘洋").json()["data"] == []


# --- the CLI ---------------------------------------------------------------------------------


def _anpei() -> str:
    exe = ROOT / ".venv" / "bin" / "anpei"
    return str(exe) if exe.exists() else (shutil.which("anpei") or "anpei")


def test_cli_platform_double_prints_url_and_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            _anpei(),
            "platform-double",
            "--cassettes",
            str(CASSETTES),
            "--port",
            "0",
            "--captcha-answer",
            "2468",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:") and int(line.rsplit(":", 1)[1]) > 0
        with requests.Session() as session:
            body = _query(session, line, idcard="500230198806143136", name="刘洋", code="2468").json()
        assert body["data"][0]["name"] == "刘洋"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.stdout.read() == ""  # exactly one line


def test_cli_platform_double_bad_cassette(tmp_path: Path) -> None:
    _write(tmp_path, "broken.json", "{")
    result = subprocess.run(
        [_anpei(), "platform-double", "--cassettes", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "broken.json" in result.stderr and result.stdout == ""


def test_matching_looks_only_at_the_interactions_of_the_asked_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query costs the same against 3 or 3,000 people (issue 16 item 4): the double used to walk
    every interaction; the first match in file order still wins."""
    from verifier.cassettes import Match

    people = [f"500230{i:011d}X" for i in range(3000)]
    interactions = [
        {"match": {"idcardNum": idcard, "name": "刘洋"}, "response": {"json": {"code": 200, "data": []}}}
        for idcard in people
    ]
    interactions.insert(2000, {"match": {"idcardNum": people[2500]}, "response": {"status": 403}})
    (tmp_path / "a.json").write_text(
        json.dumps({"format": "anpei-platform-cassette/1", "interactions": interactions}), encoding="utf-8"
    )
    cassettes = load_cassettes(tmp_path)
    calls: list[str] = []
    real = Match.accepts

    def counted(self: Match, **kwargs: Any) -> bool:
        calls.append(self.idcard_num)
        return bool(real(self, **kwargs))

    monkeypatch.setattr(Match, "accepts", counted)
    assert cassettes.find(idcard_num=people[2500].lower(), name="刘 洋", person_type_code="03") == 2000
    assert cassettes.find(idcard_num=people[10], name="刘洋", person_type_code="03") == 10
    assert cassettes.find(idcard_num="500230198806143136", name="刘洋", person_type_code="03") is None
    assert len(calls) == 2
