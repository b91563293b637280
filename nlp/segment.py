"""The one jieba tokenizer of the process, with the domain user dictionary.

jieba's dictionary takes about half a second to load, so it is built lazily
(only when a rule needs whole-word matching and a candidate actually occurs in
the text) and then shared by every Categoriser and by the learner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from nlp.rules import DEFAULT_USERDICT_PATH

_lock = threading.Lock()
_tokenizer = None
_loaded_words: set[str] = set()


def tokenizer(extra_words: Iterable[str] = ()):
    """The shared jieba.Tokenizer, created on first use with `nlp/userdict.txt`;
    `extra_words` (from a rules file) are added once each."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            _add_userdict(tk, DEFAULT_USERDICT_PATH)
            _tokenizer = tk
        for w in extra_words:
            if w not in _loaded_words:
                _tokenizer.add_word(w, freq=None)
                _loaded_words.add(w)
        return _tokenizer


def _add_userdict(tk, path: Path) -> None:
    # Parsed here rather than with load_userdict so a stray line cannot abort start-up.
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tk.add_word(parts[0], freq=freq)
        _loaded_words.add(parts[0])


def words(text: str, extra_words: Iterable[str] = ()) -> list[str]:
    """jieba tokens of already normalised text (precise mode, with HMM for new words)."""
    return tokenizer(extra_words).lcut(text)
