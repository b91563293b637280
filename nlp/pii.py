"""Masking of personal data before texts are shown to departments or logged.

Only the two identifiers citizens routinely paste into messages are handled:
mainland mobile numbers and 18-digit resident ID numbers.
"""

from __future__ import annotations

import re

# Look-arounds instead of \b: in Chinese text a number is glued to characters,
# and \b treats CJK characters as word characters.
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])([1-9][0-9]{5})((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    r"([0-9]{3}[0-9Xx])(?![0-9A-Za-z])"
)


def find_phones(text: str) -> list[str]:
    """Mainland mobile numbers in the text, as 11 plain digits, in order of appearance."""
    if not text:
        return []
    return ["".join(m.groups()) for m in _PHONE.finditer(text)]


def _mask_id(m: re.Match[str]) -> str:
    region, _birth, tail = m.groups()
    return region[:4] + "*" * 10 + tail.upper()


def _mask_phone(m: re.Match[str]) -> str:
    head, _middle, tail = m.groups()
    return f"{head}****{tail}"


def mask_pii(text: str) -> str:
    """Mask mobile numbers (138****5678) and ID numbers (1101**********123X); the
    rest of the text is returned unchanged."""
    if not text:
        return text or ""
    # ID numbers first: an 18-digit ID can contain a phone-shaped run of digits.
    text = _ID_CARD.sub(_mask_id, text)
    return _PHONE.sub(_mask_phone, text)
