"""统一社会信用代码 (unified social credit code) per GB 32100-2015."""

from __future__ import annotations

import unicodedata

# The 31 characters of the code, in value order (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def normalise_uscc(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def uscc_check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when `code` is a valid code; otherwise a Chinese reason."""
    code = normalise_uscc(code)
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return f"统一社会信用代码含有不允许的字符：{''.join(bad)}"
    if not code[8:17].isalnum() or not code[2:8].isdigit():
        return "统一社会信用代码第3–8位应为行政区划码（数字）"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：应为{expected}，实际为{code[17]}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None
