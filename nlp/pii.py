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


# ---- a whistleblower's identity (检举控告类) ------------------------------------------------------
# Stronger than ``mask_pii``: for these cases the reporter must not be identifiable at all outside the
# office entitled to know them, so any longish number goes, whatever its shape or script (``\d`` is
# Unicode: full-width ３ and other scripts' digits count), including one cut short by the title's
# 30-character limit ("电话138123"). Case numbers (XF20261124-0007) and dates stay readable: a run
# glued to a Latin letter or a hyphen on its left is not masked.
MASK = "*"
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9\-])\d(?:[ \-－]?\d){4,}[XxＸｘ]?")
# Any digits at all right after a word that introduces a phone or ID number.
_NUMBER_AFTER_WORD = re.compile(
    r"(?:电话|手机|联系方式|联系|号码|身份证|证件|微信|QQ|qq|座机|tel|Tel|TEL)[号码是为：:\s]*(\d(?:[ \-－]?\d)*[XxＸｘ]?)")
_NAME_AFTER_WORD = re.compile(
    r"(?:我叫|名叫|本人叫|本人是|本人姓名|姓名|我的名字|名字|举报人|检举人|控告人|反映人|我是)[是叫为：:\s]*"
    r"([\u4e00-\u9fff·]{2,4})(?=[\s，,。.；;！!？?、）)]|电话|手机|身份证|家住|住|联系|$)")
_ADDRESS_AFTER_WORD = re.compile(
    r"(?:家庭住址|家住|住址|现住址|现住|住在|居住在|居住于|户籍地|家在|地址)[是为：:\s]*([^\s，,。；;！!？?\n]{1,40})")


def _blank(m: re.Match[str], group: int = 0) -> str:
    start, end = m.span(group)
    whole = m.group(0)
    offset = m.start(0)
    return whole[: start - offset] + MASK * (end - start) + whole[end - offset :]


def mask_identity(text: str | None, known: tuple[str | None, ...] = ()) -> str:
    """``text`` with a whistleblower's identity masked: numbers (phones, ID numbers, any run of five
    or more digits of any script, any digits after 电话/身份证/…), a self-introduced name (我叫…,
    姓名…), a home address (家住…, 住址…) and each ``known`` value (the reporter's name, phone,
    address as recorded on the case), also a cut-off start of one (≥ 3 characters at the end)."""
    if not text:
        return text or ""
    for value in known:
        value = (value or "").strip()
        if len(value) >= 2:
            text = text.replace(value, MASK * len(value))
            # A title cut in the middle of the value keeps only its start, at the very end.
            for n in range(len(value) - 1, 2, -1):
                if text.endswith(value[:n]):
                    text = text[: len(text) - n] + MASK * n
                    break
    text = _NUMBER_AFTER_WORD.sub(lambda m: _blank(m, 1), text)
    text = _DIGIT_RUN.sub(lambda m: MASK * len(m.group(0)), text)
    text = _NAME_AFTER_WORD.sub(lambda m: _blank(m, 1), text)
    return _ADDRESS_AFTER_WORD.sub(lambda m: _blank(m, 1), text)
