"""How EmbedLab reads the words a person types, the same on every page and in the CLI.

- **Lists.** Items are separated by commas, semicolons, tabs or new lines. Inside such an item
  spaces join a phrase with ``_`` (``New York`` → ``New_York``, as word2vec writes phrases).
  Text with none of those separators is a plain space-separated list (``rose tulip daisy`` is
  three words). Duplicates count once; the cap is checked in one linear pass.
- **Lookup.** A word is looked up as typed; when the model's vocabulary is all lower case (GloVe
  6B), in lower case. A word that is not there is reported, never replaced by a zero vector.
  A FastText model builds any word from its character n-grams.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embedlab.backends import memoize_models
from embedlab.errors import InputError

if TYPE_CHECKING:
    from embedlab.backends.base import WordVectors

WORD_RULE = (
    "Separate words with commas or new lines (a line of words with only spaces between them is a list too);"
    " spaces inside a comma-separated item join a phrase (New York → New_York, as word2vec writes phrases)."
    " Words are looked up as typed, and in lower case for a lower-case vocabulary such as GloVe's."
)
_SEPARATORS = re.compile(r"[,;\n\t]+|\s{2,}")
MAX_LIST_WORDS = 500  # a word set of a bias test; the Similarity page allows fewer


def parse_word_list(text: str, *, limit: int = MAX_LIST_WORDS, what: str = "") -> list[str]:
    """The words of ``text`` by the rule above, in order, each once; at most ``limit``."""
    text = text or ""
    pieces = _SEPARATORS.split(text) if _SEPARATORS.search(text) else text.split()
    words: dict[str, None] = {}
    for piece in pieces:
        word = "_".join(piece.split())
        if word:
            words[word] = None
    if len(words) > limit:
        where = f" ({what})" if what else ""
        raise InputError(f"Too many words: {len(words):,}; the limit is {limit:,}{where}.")
    return list(words)


def is_lowercase_vocabulary(keys: Sequence[str], sample: int = 20_000) -> bool:
    """True when a vocabulary has no upper-case letters in its first ``sample`` words (GloVe 6B)."""
    return not any(k != k.lower() for k in keys[:sample])


@memoize_models(max_entries=64)
def lowercase_vocabulary(model: WordVectors) -> bool:
    """Whether ``model``'s vocabulary is lower case (then words are looked up lower-cased)."""
    keys = model.kv.index_to_key
    return bool(keys) and is_lowercase_vocabulary(keys)


@dataclass(frozen=True)
class Lookup:
    """Words resolved against a model: the words found (as given), their keys, and the words missing."""

    given: tuple[str, ...]
    keys: tuple[str, ...]
    missing: tuple[str, ...]
    removed: tuple[str, ...] = ()
    lowercased: bool = False


def resolve_words(model: WordVectors, words: Sequence[str], *, remove: Sequence[str] = ()) -> Lookup:
    """Look ``words`` up by the rule above (``remove``: words to leave out on purpose). Two words
    with the same key (``Paris`` and ``paris`` in GloVe) count once."""
    leave_out = set(remove)
    lowercase = lowercase_vocabulary(model)
    builds_any = model.subwords
    keys: dict[str, str] = {}
    missing: list[str] = []
    for word in words:
        if word in leave_out:
            continue
        key = word.lower() if lowercase else word
        if builds_any and key.strip() or key in model:
            keys.setdefault(key, word)
        else:
            missing.append(word)
    removed = tuple(w for w in words if w in leave_out)
    return Lookup(tuple(keys.values()), tuple(keys), tuple(missing), removed, lowercase)


def word_key(model: WordVectors, word: str) -> str | None:
    """The vocabulary entry for ``word`` by the rule above, or None."""
    found = resolve_words(model, [word])
    return found.keys[0] if found.keys else None
