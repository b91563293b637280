"""Splitting a long notice into messages that fit WeChat's limits, at item boundaries.

A customer-service text may carry at most ``CUSTOM_TEXT_MAX_BYTES`` bytes (UTF-8) and a template
keyword value about ``TEMPLATE_VALUE_MAX_CHARS`` characters; beyond that WeChat refuses or cuts the
message, and a digest cut mid-line ("受理告知期限2026年12") tells the reader nothing. So a notice
is split between its lines (each line is one item of a list or one sentence of a notice) and, when
it takes more than one message, each part is numbered "（1/3）" on its last line. A single line longer than a whole
message is the only thing ever cut, and then at the limit.
"""

from __future__ import annotations

from collections.abc import Callable

CUSTOM_TEXT_MAX_BYTES = 2048
TEMPLATE_VALUE_MAX_CHARS = 200
# "（12/12）" plus a line break: room kept in each part for its number.
_NUMBER_ROOM = 10


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def char_size(text: str) -> int:
    return len(text)


def split_items(text: str, limit: int, size: Callable[[str], int] = char_size) -> list[str]:
    """``text`` as one or more parts, each within ``limit`` by ``size``, split between lines and
    numbered when there is more than one."""
    if size(text) <= limit:
        return [text]
    room = limit - _NUMBER_ROOM
    parts: list[str] = []
    current = ""
    for line in _fitting_lines(text.split("\n"), room, size):
        candidate = f"{current}\n{line}" if current else line
        if current and size(candidate) > room:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    total = len(parts)
    # The number goes last, so each part still starts with its own first line (a digest's header).
    return [f"{part}\n（{i}/{total}）" for i, part in enumerate(parts, 1)]


def _fitting_lines(lines: list[str], room: int, size: Callable[[str], int]) -> list[str]:
    """Lines as they are, except one that alone exceeds ``room``: that one is cut into pieces."""
    out: list[str] = []
    for line in lines:
        while size(line) > room:
            cut = _longest_prefix(line, room, size)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _longest_prefix(line: str, room: int, size: Callable[[str], int]) -> int:
    low, high = 1, len(line)
    while low < high:
        mid = (low + high + 1) // 2
        if size(line[:mid]) <= room:
            low = mid
        else:
            high = mid - 1
    return low


def custom_parts(text: str) -> list[str]:
    """Customer-service text messages for ``text``."""
    return split_items(text, CUSTOM_TEXT_MAX_BYTES, utf8_size)


def template_parts(text: str) -> list[str]:
    """Template ``content`` values for ``text``."""
    return split_items(text, TEMPLATE_VALUE_MAX_CHARS, char_size)
