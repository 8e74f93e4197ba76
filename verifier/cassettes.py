"""Recorded platform responses ("cassettes", `platform-cassettes/FORMAT.md`): load, validate, match, write.

A cassette directory holds `*.json` files read in name order; each holds interactions (`match` +
`response`). The test double serves them; the client's record mode writes them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.types import Family

CASSETTE_FORMAT = "anpei-platform-cassette/1"
CAPTCHA_PATH = "/prod-api/certsearch/code"
QUERY_PATH = "/prod-api/certsearch/certInfo/netQuery"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
DEFAULT_TEXT_CONTENT_TYPE = "text/html;charset=UTF-8"

# personTypeCode → family (placeholder values, FORMAT.md).
PERSON_TYPE_FAMILIES: Mapping[str, Family] = {"03": Family.SPECIAL, "01": Family.SAFETY}

_MATCH_KEYS = frozenset({"idcardNum", "family", "name"})
_PLAIN_KEYS = frozenset({"status", "json", "text", "content_type"})
_WHITE_SPACE = re.compile(r"\s+")


class CassetteError(ValueError):
    """A cassette file that cannot be used. The message is Chinese and names the file."""


@dataclass(frozen=True)
class PlainResponse:
    """One HTTP answer: status, body bytes and content type (None for an empty body)."""

    status: int
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True)
class DelayedResponse:
    delay_s: float
    then: Response


@dataclass(frozen=True)
class SequenceResponse:
    items: tuple[Response, ...]


Response = PlainResponse | DelayedResponse | SequenceResponse


@dataclass(frozen=True)
class Match:
    idcard_num: str  # trimmed, upper case
    family: Family | None = None
    name: str | None = None  # all white space removed

    def accepts(self, *, idcard_num: str, name: str, person_type_code: str | None) -> bool:
        if normalise_id(idcard_num) != self.idcard_num:
            return False
        if self.name is not None and normalise_name(name) != self.name:
            return False
        if self.family is not None:
            return PERSON_TYPE_FAMILIES.get((person_type_code or "").strip()) == self.family
        return True


@dataclass(frozen=True)
class Interaction:
    match: Match
    response: Response
    source: str  # "file.json#index", for messages


@dataclass(frozen=True)
class CassetteSet:
    """Every interaction of a directory, in file-name order."""

    interactions: tuple[Interaction, ...] = ()

    @functools.cached_property
    def _by_id(self) -> dict[str, list[int]]:
        """Interaction indexes by ID number, in order: a lookup, not a walk through every cassette
        (which made each query of a 50,000-person set cost as much as 50 of a 1,000-person one)."""
        found: dict[str, list[int]] = {}
        for index, interaction in enumerate(self.interactions):
            found.setdefault(interaction.match.idcard_num, []).append(index)
        return found

    def find(self, *, idcard_num: str, name: str, person_type_code: str | None) -> int | None:
        """Index of the first interaction that matches the request, or None."""
        for index in self._by_id.get(normalise_id(idcard_num), ()):
            match = self.interactions[index].match
            if match.accepts(idcard_num=idcard_num, name=name, person_type_code=person_type_code):
                return index
        return None


def normalise_id(value: str) -> str:
    return value.strip().upper()


def normalise_name(value: str) -> str:
    return _WHITE_SPACE.sub("", value)


def resolve(response: Response, count: int) -> tuple[float, PlainResponse]:
    """The answer for the `count`-th (0-based) matching request: total delay and the plain response."""
    delay = 0.0
    while True:
        if isinstance(response, PlainResponse):
            return delay, response
        if isinstance(response, DelayedResponse):
            delay += response.delay_s
            response = response.then
        else:
            response = response.items[min(count, len(response.items) - 1)]


# --- loading -------------------------------------------------------------------------------


def load_cassettes(path: str | Path) -> CassetteSet:
    """Load a cassette directory (every `*.json`, in name order) or a single cassette file."""
    path = Path(path)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
    else:
        raise CassetteError(f"录制目录 {path} 不存在")
    interactions: list[Interaction] = []
    for file in files:
        interactions.extend(load_cassette_file(file))
    return CassetteSet(tuple(interactions))


def load_cassette_file(path: str | Path) -> list[Interaction]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"录制文件 {path.name} 无法读取：{exc}") from exc
    except json.JSONDecodeError as exc:
        raise CassetteError(f"录制文件 {path.name} 不是有效的 JSON（第 {exc.lineno} 行）：{exc.msg}") from exc
    return parse_cassette(data, file_name=path.name)


def parse_cassette(data: Any, *, file_name: str) -> list[Interaction]:
    """Validate one cassette object and return its interactions."""
    where = f"录制文件 {file_name}"
    if not isinstance(data, dict):
        raise CassetteError(f"{where} 应为 JSON 对象")
    if data.get("format") != CASSETTE_FORMAT:
        raise CassetteError(f"{where} 的 format 应为 {CASSETTE_FORMAT!r}（实际为 {data.get('format')!r}）")
    items = data.get("interactions")
    if not isinstance(items, list):
        raise CassetteError(f"{where} 缺少 interactions 列表")
    result: list[Interaction] = []
    for index, item in enumerate(items):
        at = f"{where} 第 {index + 1} 个 interaction"
        if not isinstance(item, dict):
            raise CassetteError(f"{at} 应为 JSON 对象")
        unknown = set(item) - {"match", "response", "note"}
        if unknown:
            raise CassetteError(f"{at} 含未知字段：{'、'.join(sorted(unknown))}")
        result.append(
            Interaction(
                match=_parse_match(item.get("match"), at=at),
                response=_parse_response(item.get("response"), at=f"{at} 的 response"),
                source=f"{file_name}#{index + 1}",
            )
        )
    return result


def _parse_match(obj: Any, *, at: str) -> Match:
    if not isinstance(obj, dict):
        raise CassetteError(f"{at} 缺少 match 对象")
    unknown = set(obj) - _MATCH_KEYS
    if unknown:
        raise CassetteError(f"{at} 的 match 含未知字段：{'、'.join(sorted(unknown))}")
    idcard = obj.get("idcardNum")
    if not isinstance(idcard, str) or not idcard.strip():
        raise CassetteError(f"{at} 的 match 缺少 idcardNum（身份证号）")
    family: Family | None = None
    if "family" in obj:
        try:
            family = Family(obj["family"])
        except ValueError:
            raise CassetteError(
                f"{at} 的 match.family 应为 special 或 safety（实际为 {obj['family']!r}）"
            ) from None
    name = obj.get("name")
    if name is not None and (not isinstance(name, str) or not normalise_name(name)):
        raise CassetteError(f"{at} 的 match.name 应为非空文本")
    return Match(
        idcard_num=normalise_id(idcard),
        family=family,
        name=normalise_name(name) if name is not None else None,
    )


def _parse_response(obj: Any, *, at: str) -> Response:
    if not isinstance(obj, dict):
        raise CassetteError(f"{at} 应为 JSON 对象")
    if "sequence" in obj:
        if set(obj) != {"sequence"}:
            raise CassetteError(f"{at}：sequence 不能与其他字段同时出现")
        seq = obj["sequence"]
        if not isinstance(seq, list) or not seq:
            raise CassetteError(f"{at} 的 sequence 应为非空列表")
        return SequenceResponse(
            tuple(_parse_response(item, at=f"{at} 的 sequence 第 {i + 1} 项") for i, item in enumerate(seq))
        )
    if "delay_s" in obj or "then" in obj:
        if set(obj) != {"delay_s", "then"}:
            raise CassetteError(f"{at}：delay_s 与 then 须同时出现，且不能有其他字段")
        delay = obj["delay_s"]
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise CassetteError(f"{at} 的 delay_s 应为非负秒数")
        return DelayedResponse(float(delay), _parse_response(obj["then"], at=f"{at} 的 then"))
    unknown = set(obj) - _PLAIN_KEYS
    if unknown:
        raise CassetteError(f"{at} 含未知字段：{'、'.join(sorted(unknown))}")
    status = obj.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise CassetteError(f"{at} 的 status 应为 100–599 的整数（实际为 {status!r}）")
    if "json" in obj and ("text" in obj or "content_type" in obj):
        raise CassetteError(f"{at}：json 不能与 text 或 content_type 同时出现")
    if "json" in obj:
        body = json.dumps(obj["json"], ensure_ascii=False).encode("utf-8")
        return PlainResponse(status, body, JSON_CONTENT_TYPE)
    if "text" in obj:
        text = obj["text"]
        content_type = obj.get("content_type", DEFAULT_TEXT_CONTENT_TYPE)
        if not isinstance(text, str):
            raise CassetteError(f"{at} 的 text 应为文本")
        if not isinstance(content_type, str) or not content_type.strip():
            raise CassetteError(f"{at} 的 content_type 应为非空文本")
        return PlainResponse(status, text.encode(_charset(content_type)), content_type)
    if "content_type" in obj:
        raise CassetteError(f"{at}：content_type 只能与 text 同时出现")
    return PlainResponse(status)


def _charset(content_type: str) -> str:
    found = re.search(r"charset=([\w-]+)", content_type, flags=re.IGNORECASE)
    if found is None:
        return "utf-8"
    try:
        "".encode(found.group(1))
    except LookupError:
        return "utf-8"
    return found.group(1)


# --- writing (record mode) -----------------------------------------------------------------


def response_form(*, status: int, content_type: str | None, body: bytes, text: str) -> dict[str, Any]:
    """A received answer in cassette form: JSON when the body is JSON, else text, else bare status."""
    if body.strip():
        try:
            return {"status": status, "json": json.loads(body)}
        except (ValueError, UnicodeDecodeError):
            return {"status": status, "content_type": content_type or DEFAULT_TEXT_CONTENT_TYPE, "text": text}
    return {"status": status}


def cassette_document(*, interactions: Iterable[Mapping[str, Any]], note: str) -> dict[str, Any]:
    return {"format": CASSETTE_FORMAT, "note": note, "interactions": [dict(i) for i in interactions]}
