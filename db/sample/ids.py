"""Synthetic but well-formed identifiers: GB 11643 ID numbers and GB 32100 credit codes."""

from __future__ import annotations

import datetime as dt
import random

from db.uscc import ALPHABET, uscc_check_char

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Chongqing county-level region codes people in Fengdu plausibly come from, with weights.
PERSON_REGIONS: tuple[tuple[str, float], ...] = (
    ("500230", 0.62),  # 丰都县
    ("500233", 0.08),  # 忠县
    ("500243", 0.06),  # 彭水县
    ("500102", 0.06),  # 涪陵区
    ("500101", 0.05),  # 万州区
    ("500115", 0.04),  # 长寿区
    ("500232", 0.03),  # 武隆区
    ("500231", 0.03),  # 垫江县
    ("500236", 0.03),  # 奉节县
)
_REGION_CODES = tuple(code for code, _ in PERSON_REGIONS)
_REGION_WEIGHTS = tuple(weight for _, weight in PERSON_REGIONS)


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(text: str) -> bool:
    """18 characters, a real birth date and the right check character."""
    if len(text) != 18 or not text[:17].isdigit() or text[17] not in "0123456789X":
        return False
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return id_check_char(text[:17]) == text[17]


def make_id_number(*, region: str, birth: dt.date, seq: int, male: bool) -> str:
    """An 18-character ID whose order code (3 digits) is odd for men and even for women."""
    order = (seq % 500) * 2 + (1 if male else 0)
    order = max(order, 2) if not male else order
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def random_id_number(rng: random.Random, *, birth_from: dt.date, birth_to: dt.date, male: bool) -> str:
    region = rng.choices(_REGION_CODES, weights=_REGION_WEIGHTS)[0]
    span = (birth_to - birth_from).days
    birth = birth_from + dt.timedelta(days=rng.randrange(span + 1))
    return make_id_number(region=region, birth=birth, seq=rng.randrange(1, 500), male=male)


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_check_char(body8: str) -> str:
    """GB 11714 organisation code check character for 8 body characters."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_uscc(rng: random.Random, *, region: str = "500230", kind: str = "91") -> str:
    """A 统一社会信用代码 with a valid GB 32100 check character (and a GB 11714 organisation code).

    `kind` is the registration authority and type: 91 enterprise, 92 individual business, 52 民办非企业.
    """
    body = (
        "MA" + "".join(rng.choice(_ORG_CHARS) for _ in range(6))
        if rng.random() < 0.7
        else "".join(rng.choice("0123456789") for _ in range(8))
    )
    org = body + _org_check_char(body)
    first17 = kind + region + org
    assert all(c in ALPHABET for c in first17)
    return first17 + uscc_check_char(first17)
