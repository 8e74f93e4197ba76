"""ID numbers masked for everyone whose role does not need them (§7 of verification.md): the first 6
characters (the region) and the last 4 stay, every other character becomes `*`.

The one masking rule of the product: the database's read models and exports, the verifier's result
files and the training-archive leads all use it. Short texts (10 characters or fewer) are starred
entirely, so nothing shorter than an ID is ever shown whole in an ID column.
"""

from __future__ import annotations

import re

# An 18-character ID (last character a digit or X) or a 15-digit legacy ID standing alone in text.
_ID_IN_TEXT_RE = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def mask_id(id_number: str | None) -> str:
    """`500230199001010011` → `500230********0011`; `12345` → `*****`; None or "" → ""."""
    if not id_number:
        return ""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_ids_in(text: str) -> str:
    """Mask every 18-character or 15-digit ID-like run inside free text (`T500230…` → `T500230****…`)."""
    return _ID_IN_TEXT_RE.sub(lambda m: mask_id(m.group(0)), text)
