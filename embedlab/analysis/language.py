"""A light guess of the language of short texts, to warn when an English-only model reads
another language. Counts common function words of a few languages and non-Latin scripts; it
says "unknown" rather than guess from too little."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "English": frozenset(["the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are", "with", "as", "this", "be", "at", "by", "not", "from", "have", "or", "an", "they", "which"]),
    "German": frozenset(["der", "die", "das", "und", "ist", "nicht", "ich", "ein", "eine", "zu", "den", "mit", "sich", "auf", "für", "von", "dem", "des", "auch", "wir", "sie"]),
    "Spanish": frozenset(["el", "la", "los", "las", "y", "es", "en", "que", "de", "un", "una", "por", "con", "para", "no", "se", "lo", "su", "del", "al", "como", "pero"]),
    "French": frozenset(["le", "la", "les", "et", "est", "un", "une", "des", "du", "que", "qui", "dans", "pour", "pas", "sur", "au", "avec", "ce", "il", "elle", "nous", "vous"]),
    "Dutch": frozenset(["de", "het", "een", "en", "van", "is", "dat", "niet", "in", "op", "te", "met", "voor", "zijn", "ik", "je", "wij", "ze", "maar", "ook"]),
    "Italian": frozenset(["il", "lo", "la", "gli", "le", "e", "è", "di", "che", "un", "una", "per", "non", "con", "del", "della", "sono", "anche", "ma"]),
    "Portuguese": frozenset(["o", "a", "os", "as", "e", "é", "de", "que", "um", "uma", "para", "com", "não", "do", "da", "em", "no", "na", "se", "por", "mais"]),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _script(text: str) -> str | None:
    """The name of a non-Latin script most of the letters are in (Cyrillic, CJK, ...), else None."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    first = (unicodedata.name(c, "UNKNOWN").split(" ")[0] for c in letters)
    names = Counter("CJK" if name in ("HIRAGANA", "KATAKANA") else name for name in first)
    script, count = names.most_common(1)[0]
    return None if script == "LATIN" or count < len(letters) / 2 else script.title()


def guess_language(text: str) -> str:
    """"English", another language or script name, or "unknown" (too few clues)."""
    script = _script(text)
    if script is not None:
        return {"Cjk": "Chinese or Japanese", "Hangul": "Korean"}.get(script, f"{script}-script")
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {language: sum(w in vocabulary for w in words) for language, vocabulary in FUNCTION_WORDS.items()}
    best = max(scores, key=scores.__getitem__)
    if scores[best] == 0 or list(scores.values()).count(scores[best]) > 1:
        return "unknown"
    return best


def other_languages(texts: Sequence[str]) -> Counter[str]:
    """How many of ``texts`` look like each language other than English (unknowns left out)."""
    return Counter(g for g in (guess_language(t) for t in texts) if g not in ("English", "unknown"))
