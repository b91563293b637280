"""Text normalisation applied before any matching.

Citizens type on phones with full-width punctuation, stray emoji control marks
and runs of "！！！"; keywords in the rules file are written plainly, so both
sides must be brought to one form before they are compared.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi marks survive NFKC and would split a keyword in two.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
# A run of the same punctuation mark carries emphasis, not meaning.
_REPEATED_PUNCT = re.compile(r"([!?！？。，,.~～、;；:：…\-—_*#=+])\1+")


def normalize(text: str) -> str:
    """NFKC (full width to half width), strip control characters, collapse
    whitespace and repeated punctuation. Case is kept; matching lower-cases."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = _CONTROL.sub(" ", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()


def match_form(text: str) -> str:
    """The form keywords and messages are compared in: normalised and lower-cased,
    so that "WIFI" in a rule matches "wifi" in a message."""
    return normalize(text).lower()


_WORD = re.compile(r"\s*\S+")


def after_words(text: str, count: int) -> str:
    """What follows the first ``count`` words of ``text``, exactly as typed (line breaks and
    full-width punctuation kept); only the whitespace around it is trimmed. Commands are matched on
    the normalised text, but the content they carry is stored and forwarded in this form."""
    text = _INVISIBLE.sub("", text or "")
    position = 0
    for _ in range(count):
        found = _WORD.match(text, position)
        if found is None:
            return ""
        position = found.end()
    return text[position:].strip()
