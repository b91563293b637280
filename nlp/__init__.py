"""Categorisation of petition messages: rules file, normalisation, jieba + keyword matching, PII, similarity.

Pure functions over a loaded rules file; imports nothing from the rest of the project.
"""

from nlp.categorise import Categoriser, Decision, categorise
from nlp.normalize import normalize
from nlp.pii import find_phones, mask_pii
from nlp.rules import Rules, load_rules
from nlp.similarity import bigrams, cosine, similarity

__all__ = [
    "Categoriser",
    "Decision",
    "Rules",
    "categorise",
    "find_phones",
    "load_rules",
    "mask_pii",
    "normalize",
    "bigrams",
    "cosine",
    "similarity",
]
