"""Contextual versus static vectors: one word read in several sentences, and word order.

A static model (GloVe) has one vector per word, whatever the sentence. A transformer gives each
occurrence its own vector: the last hidden state of the word's pieces, mean-pooled here (the
same vectors sentence-transformers pools into a sentence vector). ``contextual_word`` returns
those vectors, their cosine matrix, a 2-D PCA map of them and, when sentences carry a sense tag
(``[money] I paid at the bank``), the mean cosine within a sense and across senses.

``word_order`` shows what mean word vectors cannot see: "dog bites man" and "man bites dog"
hold the same words, so their means are identical (cosine 1.0), while a sentence model reads
the order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from embedlab import cache
from embedlab.backends import (
    backend_kind,
    encode_texts,
    get_text_encoder,
    get_word_vectors,
    model_key,
)
from embedlab.backends.base import BackendKind
from embedlab.config import LIMITS
from embedlab.errors import InputError, OutOfVocabularyError, WrongBackendKindError
from embedlab.vectors import cosine_matrix
from embedlab.wordrules import word_key

DEFAULT_TEXT_MODEL = "minilm"
DEFAULT_WORD_MODEL = "glove-6b-50d"
MAX_SENTENCES = 50
MAX_PAIRS = 50
_SENSE = re.compile(r"^\s*\[([^\]]{1,40})\]\s*(.*)$")

#: the guided demo: "bank" as money and as a river's edge, four sentences each
BANK_SENTENCES = (
    "[money] I went to the bank to deposit my salary.",
    "[money] The bank raised its interest rates again.",
    "[money] She took out a loan from the bank to buy a house.",
    "[money] The bank closed my account without warning.",
    "[river] We sat on the river bank and watched the boats.",
    "[river] The children fished from the grassy bank of the stream.",
    "[river] Heavy rain made the river burst its bank.",
    "[river] Reeds grew thick along the muddy bank of the lake.",
)
#: word-order pairs: the same words, another meaning
ORDER_PAIRS = (
    ("dog bites man", "man bites dog"),
    ("the cat chased the mouse", "the mouse chased the cat"),
    ("she gave him a book", "he gave her a book"),
    ("not bad, actually good", "not good, actually bad"),
)


@runtime_checkable
class TokenEncoder(Protocol):
    """A text model that can give its word pieces' contextual vectors (sentence-transformers)."""

    name: str

    def token_vectors(self, texts: Sequence[str]) -> list: ...


@dataclass(frozen=True)
class WordUse:
    """The word in one sentence: where it is, its pieces, and how often it occurs there."""

    sentence: str
    sense: str
    start: int
    end: int
    pieces: tuple[str, ...]
    occurrences: int


@dataclass(frozen=True)
class SenseSummary:
    """Mean cosine of the pairs of uses that share a sense, and of those that do not."""

    within: float
    across: float
    within_pairs: int
    across_pairs: int


@dataclass(frozen=True)
class ContextualResult:
    """One word's contextual vectors, sentence by sentence, and what they show."""

    word: str
    model: str
    uses: tuple[WordUse, ...]
    vectors: np.ndarray
    matrix: np.ndarray
    coords: np.ndarray
    explained_variance: tuple[float, ...]
    senses: SenseSummary | None

    def as_dict(self) -> dict[str, object]:
        """The CLI's ``--json`` document."""
        document: dict[str, object] = {
            "word": self.word, "model": self.model, "sentences": [use.sentence for use in self.uses],
            "senses": [use.sense for use in self.uses], "pieces": [list(use.pieces) for use in self.uses],
            "matrix": np.round(self.matrix, 6).tolist(),
        }
        if self.senses is not None:
            document["within_sense"] = self.senses.within
            document["across_sense"] = self.senses.across
        return document


@dataclass(frozen=True)
class StaticWord:
    """The one vector a static model has for the word, and its nearest neighbours (all senses mixed)."""

    word: str
    model: str
    key: str
    neighbors: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class OrderPair:
    """Two texts under mean word vectors and under a sentence model."""

    first: str
    second: str
    word_cosine: float | None
    sentence_cosine: float
    same_words: bool
    unknown: tuple[str, ...]


def parse_uses(text_or_lines: str | Sequence[str]) -> list[tuple[str, str]]:
    """(sense, sentence) per non-empty line; a line may start with a sense tag in square
    brackets (``[river] We sat on the bank``), else its sense is ""."""
    lines = text_or_lines.splitlines() if isinstance(text_or_lines, str) else list(text_or_lines)
    uses = []
    for line in lines:
        if not line.strip():
            continue
        match = _SENSE.match(line)
        sense, sentence = (match.group(1).strip(), match.group(2).strip()) if match else ("", line.strip())
        if not sentence:
            raise InputError(f"The line {line.strip()!r} has a sense tag but no sentence.")
        uses.append((sense, sentence))
    if len(uses) < 2:
        raise InputError("Write at least two sentences that use the word (one per line).")
    if len(uses) > MAX_SENTENCES:
        raise InputError(f"Too many sentences: {len(uses)}; the limit is {MAX_SENTENCES}.")
    too_long = [i for i, (_, s) in enumerate(uses, 1) if len(s) > LIMITS.max_text_chars]
    if too_long:
        raise InputError(f"Sentence {too_long[0]} is longer than {LIMITS.max_text_chars} characters.")
    return uses


def find_word(word: str, sentence: str) -> list[tuple[int, int]]:
    """Character spans of ``word`` in ``sentence``: case-insensitive, whole words only (``bank``
    does not match ``banks`` or ``embankment``); spaces inside ``word`` match any spacing."""
    parts = [re.escape(part) for part in word.split()]
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)
    return [match.span() for match in pattern.finditer(sentence)]


def _clean_word(word: str) -> str:
    cleaned = " ".join(word.split())
    if not cleaned:
        raise InputError("Type the word to follow through the sentences.")
    if len(cleaned) > 60:
        raise InputError(f"The word is {len(cleaned)} characters long; 60 at most.")
    return cleaned


def token_encoder(model: str) -> TokenEncoder:
    """``model`` as a text model with token vectors, or an error that says which models have them."""
    encoder = get_text_encoder(model)
    if not isinstance(encoder, TokenEncoder):
        raise WrongBackendKindError(f"Model {model!r} gives one vector per text, not per word piece; contextual word vectors"
                                    " need a sentence-transformers model such as minilm.")
    return encoder


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, tuple[float, ...]]:
    """The rows projected on their first two principal components (signs fixed so that each
    component's largest loading is positive) and the share of variance each explains."""
    data = np.asarray(vectors, dtype=np.float64)
    centred = data - data.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    coords = centred @ components.T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    total = float((singular**2).sum())
    explained = tuple(float(s**2 / total) if total else 0.0 for s in singular[:2])
    return coords.astype(np.float32), explained


def sense_summary(matrix: np.ndarray, senses: Sequence[str]) -> SenseSummary | None:
    """Within- and across-sense mean cosines over the pairs of tagged uses (None unless at least
    two senses are tagged and some sense has two uses)."""
    tagged = [i for i, sense in enumerate(senses) if sense]
    if len({senses[i] for i in tagged}) < 2:
        return None
    within: list[float] = []
    across: list[float] = []
    for a_index, a in enumerate(tagged):
        for b in tagged[a_index + 1:]:
            (within if senses[a] == senses[b] else across).append(float(matrix[a, b]))
    if not within:
        return None
    return SenseSummary(float(np.mean(within)), float(np.mean(across)), len(within), len(across))


def _dump_tokens(tokens: list[Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays = {f"vectors_{i}": np.asarray(token.vectors, dtype=np.float32) for i, token in enumerate(tokens)}
    return arrays, {"texts": [token.text for token in tokens], "pieces": [list(token.pieces) for token in tokens],
                    "spans": [[list(span) for span in token.spans] for token in tokens]}


def _load_tokens(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> list[Any]:
    from embedlab.backends.sentence import TokenVectors

    return [TokenVectors(text, tuple(pieces), tuple((int(a), int(b)) for a, b in spans), arrays[f"vectors_{i}"])
            for i, (text, pieces, spans) in enumerate(zip(meta["texts"], meta["pieces"], meta["spans"], strict=True))]


@cache.on_disk("encoded", keys={"model": model_key}, dump=_dump_tokens, load=_load_tokens)
def kept_token_vectors(model: str, sentences: list[str]) -> list[Any]:
    """``model``'s word pieces and their vectors in each sentence, kept by content (a guided demo's
    sentences are read back without loading the model)."""
    return list(token_encoder(model).token_vectors(sentences))


def contextual_word(word: str, sentences: str | Sequence[str], model: str = DEFAULT_TEXT_MODEL) -> ContextualResult:
    """``word``'s contextual vector in each sentence (its pieces' last hidden states, mean-pooled;
    the first occurrence when it occurs more than once), their cosine matrix and a PCA map.
    Sentences may carry sense tags (``parse_uses``)."""
    word = _clean_word(word)
    uses = parse_uses(sentences)
    spans = []
    for number, (_, sentence) in enumerate(uses, 1):
        found = find_word(word, sentence)
        if not found:
            raise InputError(f"The word {word!r} does not occur in sentence {number} ({sentence!r}); each sentence must"
                             " use it as a whole word (case does not matter).")
        spans.append(found)
    if backend_kind(model) != BackendKind.TEXT:
        token_encoder(model)  # says which models have token vectors
    tokens = kept_token_vectors(model, [sentence for _, sentence in uses])
    rows, records = [], []
    for number, ((sense, sentence), found, token) in enumerate(zip(uses, spans, tokens, strict=True), 1):
        start, end = found[0]
        chosen = [i for i, (a, b) in enumerate(token.spans) if b > a and a < end and b > start]
        if not chosen:
            raise InputError(f"Sentence {number} is longer than {model} reads: the word {word!r} at character {start} falls"
                             " after the model's last piece. Shorten the sentence.")
        rows.append(token.vectors[chosen].mean(axis=0))
        records.append(WordUse(sentence, sense, start, end, tuple(token.pieces[i] for i in chosen), len(found)))
    vectors = np.asarray(rows, dtype=np.float32)
    matrix = cosine_matrix(vectors)
    coords, explained = pca_2d(vectors)
    return ContextualResult(word, model, tuple(records), vectors, matrix, coords, explained,
                            sense_summary(matrix, [record.sense for record in records]))


def static_word(word: str, model: str = DEFAULT_WORD_MODEL, k: int = 10) -> StaticWord:
    """The static model's single vector for ``word`` (looked up by the one word rule) and its
    ``k`` nearest neighbours."""
    word = _clean_word(word)
    vectors = get_word_vectors(model)
    key = word_key(vectors, word.replace(" ", "_"))
    if key is None:
        raise OutOfVocabularyError([word], model)
    return StaticWord(word, model, key, tuple(vectors.neighbors(key, k)))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine in float64, rounded to 12 decimals: identical vectors give exactly 1.0 rather than
    1 - 2e-16 (no cosine here means anything past the sixth decimal)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return round(float(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0)), 12)


def parse_pairs_of_texts(text: str) -> list[tuple[str, str]]:
    """Word-order pairs, one per line: two texts separated by ``|`` or a tab."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in re.split(r"\t|\|", line)]
        if len(parts) != 2 or not all(parts):
            raise InputError(f"Line {number} ({line.strip()!r}) needs two texts separated by | or a tab.")
        pairs.append((parts[0], parts[1]))
    if not pairs:
        raise InputError("Type at least one pair of texts (two texts separated by | on a line).")
    if len(pairs) > MAX_PAIRS:
        raise InputError(f"Too many pairs: {len(pairs)}; the limit is {MAX_PAIRS}.")
    return pairs


def word_order(pairs: Sequence[tuple[str, str]], word_model: str = DEFAULT_WORD_MODEL,
               text_model: str = DEFAULT_TEXT_MODEL) -> list[OrderPair]:
    """Each pair's cosine under mean word vectors (``word_model``, by the Downstream page's
    ``TOKEN_RULE``: the same mean, order-blind bit for bit) and under a sentence model
    (``text_model``). Unknown words are listed; a text with no known word has no word cosine."""
    from embedlab.analysis.downstream import mean_word_vectors, tokenize
    from embedlab.wordrules import resolve_words

    if not pairs:
        raise InputError("Type at least one pair of texts.")
    words = get_word_vectors(word_model)
    flat = [text for pair in pairs for text in pair]
    sentence_vectors = encode_texts(text_model, flat).vectors
    means, _ = mean_word_vectors(words, flat)
    lookups = [resolve_words(words, tokenize(text)) for text in flat]
    result = []
    for index, (first, second) in enumerate(pairs):
        a, b = 2 * index, 2 * index + 1
        word_cosine = _cosine(means[a], means[b]) if lookups[a].keys and lookups[b].keys else None
        sentence_cosine = _cosine(sentence_vectors[a], sentence_vectors[b])
        keys_a, keys_b = ([t.lower() if lookups[i].lowercased else t for t in tokenize(flat[i])] for i in (a, b))
        result.append(OrderPair(first, second, word_cosine, sentence_cosine, sorted(keys_a) == sorted(keys_b),
                                tuple(dict.fromkeys(lookups[a].missing + lookups[b].missing))))
    return result
