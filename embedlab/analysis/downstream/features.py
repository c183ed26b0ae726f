"""Representations: what each one reads of a text (a sentence model's first words, mean word
vectors by ``TOKEN_RULE``, the TF-IDF baseline fitted inside each fold)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from embedlab.backends.base import WordVectors
from embedlab.analysis.downstream.classifier import DEFAULT_C, MAX_ITER

#: the TF-IDF baseline's name in every table and in ``--json``
TFIDF = "tfidf"
#: a collection's own stored vectors
STORED = "stored"
#: sentence models read each text's first this many words (see ``truncate_words``)
TEXT_MODEL_WORDS = 128
#: built-in datasets larger than this are sampled (stratified, seeded); news (3,823) and commons fit
DEFAULT_MAX_ROWS = 4000
_TOKEN = re.compile(r"[^\W_]+")
TOKEN_RULE = ("Mean word vectors: a text's tokens are its runs of letters and digits (punctuation, apostrophes and"
              " underscores split words: don't → don, t); each is looked up as written, in lower case for a"
              " lower-case vocabulary (GloVe 6B; the word2vec subset holds a few capitalised words, so it is read"
              " as written); the text's vector is the mean of the raw vectors of its known tokens, each occurrence"
              " counted; a text with no known token gets the zero vector and is counted.")


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` by ``TOKEN_RULE`` (runs of letters and digits)."""
    return _TOKEN.findall(text)


def truncate_words(text: str, words: int = TEXT_MODEL_WORDS) -> str:
    """The first ``words`` whitespace-separated words of ``text``: what a sentence model reads.
    MiniLM stops at 256 word pieces anyway (it was trained on 128); the multilingual USE reads
    everything and takes about a second per long article on this machine, so both get the same cap."""
    return " ".join(text.split()[:words])


@dataclass(frozen=True)
class WordCoverage:
    """How much of a dataset a word model knows."""

    tokens: int
    oov_tokens: int
    rows_without_known_word: int
    lowercased: bool

    @property
    def oov_share(self) -> float:
        """Share of token occurrences outside the vocabulary (0 when there are no tokens)."""
        return self.oov_tokens / self.tokens if self.tokens else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"tokens": self.tokens, "oov_tokens": self.oov_tokens, "oov_share": self.oov_share,
                "rows_without_known_word": self.rows_without_known_word, "lowercased": self.lowercased}


def mean_word_vectors(model: str | WordVectors, texts: Sequence[str]) -> tuple[np.ndarray, WordCoverage]:
    """Each text's mean word vector by ``TOKEN_RULE`` and how many tokens the model knew. Two
    texts with the same words in another order get bit-identical vectors (the Contextual page's
    word-order comparison relies on it)."""
    from scipy.sparse import csr_matrix

    from embedlab.backends import as_word_vectors
    from embedlab.wordrules import lowercase_vocabulary, resolve_words

    backend = as_word_vectors(model)
    lower = lowercase_vocabulary(backend)
    vocabulary: dict[str, int] = {}
    columns: list[int] = []
    pointers = [0]
    for text in texts:
        for token in tokenize(str(text)):
            columns.append(vocabulary.setdefault(token.lower() if lower else token, len(vocabulary)))
        pointers.append(len(columns))
    unique = list(vocabulary)
    kv = backend.kv
    known = list(resolve_words(backend, unique).keys)  # the word rule: as written, lower case for a lower-case vocabulary
    table = np.zeros((len(unique), backend.dim), dtype=np.float64)
    known_rows = np.array([vocabulary[word] for word in known], dtype=np.int64)
    if known:
        table[known_rows] = (np.stack([kv.get_vector(word) for word in known]) if backend.subwords
                             else kv.vectors[[kv.key_to_index[word] for word in known]])
    is_known = np.zeros(len(unique), dtype=np.float64)
    is_known[known_rows] = 1.0
    counts = csr_matrix((np.ones(len(columns)), np.array(columns, dtype=np.int64), np.array(pointers, dtype=np.int64)),
                        shape=(len(texts), len(unique)))
    counts.sum_duplicates()  # columns sorted: a text's words are summed in one order, whatever their order in the text
    known_counts = np.asarray(counts @ is_known).ravel()
    sums = np.asarray(counts @ table)
    means = sums / np.maximum(known_counts, 1.0)[:, None]
    coverage = WordCoverage(tokens=len(columns), oov_tokens=int(len(columns) - known_counts.sum()),
                            rows_without_known_word=int(np.count_nonzero(known_counts == 0)), lowercased=lower)
    return means.astype(np.float32), coverage


def tfidf_model() -> object:
    """The TF-IDF baseline: scikit-learn's TfidfVectorizer (defaults: lower-cased word unigrams,
    sublinear term frequency) and logistic regression, fitted inside each fold on the training
    part only, so the vocabulary and IDF weights never see the test texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(C=DEFAULT_C, max_iter=MAX_ITER))
