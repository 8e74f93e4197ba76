"""Text normalisation for names, item names and presented numbers (verification.md §2, §4)."""

from __future__ import annotations

import unicodedata

# Middle dots seen in names of ethnic-minority or foreign-born people, all read as U+00B7.
MIDDLE_DOTS = "•・‧∙"
_DOT_TABLE = str.maketrans(dict.fromkeys(MIDDLE_DOTS, "·"))
# Characters that are invisible in a spreadsheet but not `str.isspace()`.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def strip_space(text: str) -> str:
    """Remove all white space (including U+3000) and zero-width characters."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in _INVISIBLE)


def normalise_code(text: str) -> str:
    """IDs and certificate numbers: NFKC (full-width → half-width), no white space, upper case."""
    return strip_space(unicodedata.normalize("NFKC", text)).upper()


def query_name(name: str) -> str:
    """The name as sent to the platform: the roster's name with white space removed."""
    return strip_space(name)


def name_key(name: str) -> str:
    """Names compare equal when these are equal: no white space, NFKC, middle dots unified."""
    return strip_space(unicodedata.normalize("NFKC", name)).translate(_DOT_TABLE)


def item_key(text: str) -> str:
    """Items, categories and person types compare after removing white space and NFKC."""
    return strip_space(unicodedata.normalize("NFKC", text))


MAX_NAME_LENGTH = 30


def name_errors(name: str) -> list[str]:
    """The §2 checks on a name: not empty, no digits, at most 30 characters. Chinese messages."""
    key = name_key(name)
    if not key:
        return ["姓名为空"]
    if any(ch == "\ufffd" or unicodedata.category(ch) == "Cc" for ch in key):
        return ["姓名中含有不可见的控制字符或乱码，请核对"]
    if len(key) > MAX_NAME_LENGTH:
        return [f"姓名有 {len(key)} 个字，超过 {MAX_NAME_LENGTH} 个字的上限，请核对"]
    if any(ch.isdigit() for ch in key):
        return ["姓名中含有数字，请核对"]
    return []
