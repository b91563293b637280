"""Reading a number a person typed in a command: the one parser every command's number goes through.

``str.isdigit()`` accepts characters ``int()`` refuses (``①``, Ethiopic ``፩``) and ``int()`` refuses
strings over 4,300 digits, so a hand-rolled ``int(word) if word.isdigit()`` turns odd input into a
handler error. Here a word is a number only when every character is a decimal digit of some script
(``str.isdecimal()``: ASCII, full-width ``３``, Arabic-Indic ``٣`` …) and it is short; the digits are
converted to ASCII before ``int()``. Anything else is ``None``, for the caller to answer with usage.
"""

from __future__ import annotations

import unicodedata

# Longer than any count, index, day number or id a command takes; keeps int() cheap and bounded.
MAX_DIGITS = 9


def ascii_digits(word: str) -> str | None:
    """``word`` as ASCII digits when it is a short run of decimal digits of any script, else None."""
    word = word.strip()
    if not word or len(word) > MAX_DIGITS or not word.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(ch)) for ch in word)


def parse_number(word: str | None, *, low: int | None = None, high: int | None = None) -> int | None:
    """The non-negative integer ``word`` spells, or None (not a number, too long, outside low..high)."""
    digits = ascii_digits(word) if word is not None else None
    if digits is None:
        return None
    value = int(digits)
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def first_number(text: str | None, *, high: int | None = None) -> int | None:
    """The first run of digits in free text ("3人", "共 ３ 人"), parsed as ``parse_number`` does."""
    if not text:
        return None
    run: list[str] = []
    for ch in text:
        if ch.isdecimal():
            run.append(ch)
            if len(run) > MAX_DIGITS:
                return None
        elif run:
            break
    return parse_number("".join(run), high=high) if run else None
