"""Resident ID numbers (GB 11643-1999): normalisation and checks (verification.md §2); masking is
`anpei.masking` (re-exported here)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anpei.masking import mask_id as mask_id  # re-exported: the masking rule lives in anpei.masking
from anpei.masking import mask_ids_in as mask_ids_in
from verifier.names import normalise_code
from verifier.types import WarningCode

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

_ID18_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID15_RE = re.compile(r"^[0-9]{15}$")
_SCIENTIFIC_RE = re.compile(r"^[0-9]+(\.[0-9]*)?E[+-]?[0-9]+$")

STORED_AS_NUMBER = (
    "表格把身份证号存成了数字，超过15位的数字已丢失、无法还原；请把该列设为“文本”格式，重新填写完整的身份证号"
)


def normalise_id(raw: str) -> str:
    """White space removed, NFKC (full-width → half-width), upper case."""
    return normalise_code(raw)


def check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for 17 ASCII digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_char needs 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def convert_legacy(id15: str) -> str:
    """A 15-digit legacy ID → 18 characters: `19` before the 2-digit year, check character appended."""
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def birth_date(id18: str) -> dt.date | None:
    """The birth date in an 18-character ID, or None when it is not a calendar date."""
    try:
        return dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def _numeric_to_text(raw: int | float) -> tuple[str | None, list[str]]:
    """A number from a spreadsheet cell: exactly 15 digits is a legacy ID, more lost digits."""
    if isinstance(raw, float):
        if not raw.is_integer():
            if len(str(int(abs(raw)))) > 15:
                return None, [STORED_AS_NUMBER]
            return None, [f"身份证号“{raw!r}”是带小数的数字，不是身份证号，请核对"]
        raw = int(raw)
    text = str(abs(raw))
    if len(text) > 15:
        return None, [STORED_AS_NUMBER]
    return text, []


def check_id(raw: Any, *, as_of: dt.date) -> tuple[str, list[str], list[WarningCode]]:
    """Normalise and check one ID cell → (normalised ID, errors, warnings).

    `raw` is the cell value: text, or int/float when the spreadsheet stored the ID as a number.
    A valid 15-digit ID comes back converted to 18 characters with LEGACY_ID_CONVERTED.
    """
    if raw is None or isinstance(raw, bool):
        return "", ["身份证号为空"], []
    if isinstance(raw, int | float):
        text, errors = _numeric_to_text(raw)
        if text is None:
            return "", errors, []
        normalised = text
    else:
        normalised = normalise_id(str(raw))
    if not normalised:
        return "", ["身份证号为空"], []
    if _SCIENTIFIC_RE.match(normalised):
        return normalised, [STORED_AS_NUMBER], []

    warnings: list[WarningCode] = []
    if _ID15_RE.match(normalised):
        normalised = convert_legacy(normalised)
        warnings.append(WarningCode.LEGACY_ID_CONVERTED)
    elif not _ID18_RE.match(normalised):
        return normalised, [_format_error(normalised)], []

    birth = birth_date(normalised)
    if birth is None:
        return normalised, [f"身份证号中的出生日期 {normalised[6:14]} 不是有效日期"], warnings
    if birth > as_of:
        return (
            normalised,
            [f"身份证号中的出生日期 {birth.isoformat()} 晚于核验基准日 {as_of.isoformat()}"],
            warnings,
        )
    expected = check_char(normalised[:17])
    if normalised[17] != expected:
        return (
            normalised,
            [f"身份证号校验位不符（最后一位应为 {expected}，实为 {normalised[17]}），可能有录入错误"],
            warnings,
        )
    return normalised, [], warnings


def _format_error(normalised: str) -> str:
    if len(normalised) not in (15, 18):
        return f"身份证号应为18位（或15位旧号），实为 {len(normalised)} 位"
    return "身份证号格式不对：前17位应为数字，最后一位为数字或 X（15位旧号应全为数字）"


def is_valid_id(text: str, *, as_of: dt.date) -> bool:
    """True for a normalised 18-character ID that passes every check."""
    normalised, errors, warnings = check_id(text, as_of=as_of)
    return not errors and not warnings and normalised == text


def sex_from_id(id18: str) -> str | None:
    """男 for an odd order code, 女 for an even one; None when the ID is not 18 characters."""
    if len(id18) != 18 or not id18[16].isdigit():
        return None
    return "男" if int(id18[16]) % 2 == 1 else "女"


def make_id(region: str, birth: dt.date, seq: int) -> str:
    """A synthetic 18-character ID with a valid check character (tests and sample data)."""
    if len(region) != 6 or not region.isdigit() or not 0 <= seq <= 999:
        raise ValueError("region must be 6 digits and seq 0..999")
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)
