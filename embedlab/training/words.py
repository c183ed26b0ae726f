"""Word vectors trained here: Word2Vec, FastText and Doc2Vec on documents (gensim), and the
out-of-vocabulary demo (FastText builds unseen words from n-grams, Word2Vec cannot).

Estimators follow scikit-learn's style: parameters are stored by ``__init__`` untouched,
validated in ``fit``, randomness comes from ``seed``. Training is reproducible: ``workers=1``
(the default) removes thread-ordering jitter, gensim seeds its vectors from ``seed``, and the
string hash gensim would take from Python's randomised ``hash`` is a stable CRC32.
``workers=2`` is faster on two cores and close to, but not bit-for-bit, reproducible.

A trained model joins the catalogue as ``trained:<algorithm>-<hash of corpus and parameters>``,
saved under ``EMBEDLAB_HOME/wordvectors/`` and downloadable as word2vec.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from embedlab.backends import memoize_models
from embedlab.backends.words import KeyedWordVectors, SubwordWordVectors
from embedlab.cache import memoize
from embedlab.errors import InputError
from embedlab.training.corpora import (
    TRAIN_LIMITS,
    Progress,
    TrainingLimits,
    builtin_corpus,
    corpus_digest,
    epoch_callback,
    stable_hash,
    tokenize_corpus,
)

Algorithm = Literal["word2vec", "fasttext", "doc2vec"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
Architecture = Literal["skip-gram", "CBOW"]
DocArchitecture = Literal["PV-DM", "PV-DBOW"]
ARCHITECTURES: dict[Architecture, int] = {"skip-gram": 1, "CBOW": 0}  # gensim's sg
DOC_ARCHITECTURES: dict[DocArchitecture, int] = {"PV-DM": 1, "PV-DBOW": 0}  # gensim's dm



@dataclass(frozen=True)
class TrainingReport:
    """What was trained, on what, how long, and the backend name it is registered under."""

    name: str
    algorithm: Algorithm
    params: dict[str, object]
    documents: int
    tokens: int
    vocabulary: int
    epoch_seconds: list[float]
    seed: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class WordEmbeddingTrainer:
    """Word2Vec (skip-gram or CBOW), FastText (subword n-grams) or Doc2Vec (PV-DM or PV-DBOW) on documents.

    ``sg`` picks skip-gram (1) or CBOW (0) for Word2Vec and FastText; ``dm`` picks PV-DM (1) or
    PV-DBOW (0) for Doc2Vec (PV-DBOW then also trains skip-gram word vectors, ``dbow_words``).

    ``fit(documents)`` takes token lists and leaves ``model_`` (the gensim model), ``wv_`` (its
    KeyedVectors) and ``report_``; ``to_backend()`` registers the vectors for every page.
    """

    def __init__(
        self,
        algorithm: Algorithm = "word2vec",
        *,
        sg: int = 1,
        vector_size: int = 100,
        window: int = 5,
        min_count: int = 2,
        epochs: int = 5,
        negative: int = 5,
        min_n: int = 3,
        max_n: int = 6,
        bucket: int = 200_000,
        seed: int = 0,
        workers: int = 1,
        dm: int = 1,
    ) -> None:
        self.algorithm = algorithm
        self.sg = sg
        self.dm = dm
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.negative = negative
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.seed = seed
        self.workers = workers

    def get_params(self) -> dict[str, object]:
        """The constructor parameters (scikit-learn convention)."""
        keys = ["algorithm", "vector_size", "window", "min_count", "epochs", "negative", "seed", "workers"]
        if self.algorithm == "doc2vec":
            keys.insert(1, "dm")
        else:
            keys.insert(1, "sg")
        if self.algorithm == "fasttext":
            keys += ["min_n", "max_n", "bucket"]
        return {k: getattr(self, k) for k in keys}

    def _validate(self, limits: TrainingLimits) -> None:
        if self.algorithm not in ALGORITHMS:
            raise InputError(f"Unknown algorithm {self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}.")
        checks = [
            ("vector_size", self.vector_size, 2, limits.max_dim),
            ("window", self.window, 1, 20),
            ("min_count", self.min_count, 1, 1000),
            ("epochs", self.epochs, 1, limits.max_epochs),
            ("negative", self.negative, 1, 30),
            ("workers", self.workers, 1, 2),
            ("min_n", self.min_n, 1, 10),
            ("max_n", self.max_n, self.min_n, 10),
            ("bucket", self.bucket, 1_000, 2_000_000),
            ("seed", self.seed, 0, 2**31 - 1),
        ]
        for name, value, low, high in checks:
            if not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise InputError(f"{name} must be an integer from {low} to {high}, got {value!r}.")
        if self.sg not in (0, 1):
            raise InputError(f"sg must be 1 (skip-gram) or 0 (CBOW), got {self.sg!r}.")
        if self.dm not in (0, 1):
            raise InputError(f"dm must be 1 (PV-DM) or 0 (PV-DBOW), got {self.dm!r}.")

    def fit(self, documents: Sequence[Sequence[str]], progress: Progress | None = None,
            limits: TrainingLimits = TRAIN_LIMITS) -> WordEmbeddingTrainer:
        """Train on token lists; reports (epoch, epochs) after every epoch."""
        self._validate(limits)
        documents = [list(d) for d in documents if d]
        tokens = sum(len(d) for d in documents)
        if tokens < 20:
            raise InputError(f"Only {tokens} word tokens: too little text to train on.")
        callback = epoch_callback(progress, self.epochs)
        common = dict(vector_size=self.vector_size, window=self.window, min_count=self.min_count,
                      negative=self.negative, seed=self.seed, workers=self.workers, hashfxn=stable_hash)
        if self.algorithm == "word2vec":
            from gensim.models import Word2Vec

            model = Word2Vec(sg=self.sg, **common)
            corpus: list = documents
        elif self.algorithm == "fasttext":
            from gensim.models import FastText

            # gensim's default of 2M n-gram buckets holds 2M x dim floats (800 MB at 100-d); a
            # corpus of this size fills far fewer, so 200k buckets cost little in collisions.
            model = FastText(sg=self.sg, min_n=self.min_n, max_n=self.max_n, bucket=self.bucket, **common)
            corpus = documents
        else:
            from gensim.models.doc2vec import Doc2Vec, TaggedDocument

            model = Doc2Vec(dm=self.dm, dbow_words=int(self.dm == 0), **common)
            corpus = [TaggedDocument(d, [i]) for i, d in enumerate(documents)]
        model.build_vocab(corpus)
        if len(model.wv) < 2:
            raise InputError(
                f"Only {len(model.wv)} words occur at least min_count={self.min_count} times; lower min_count or add text."
            )
        model.train(corpus, total_examples=len(corpus), epochs=self.epochs, callbacks=[callback])
        self.model_ = model
        self.wv_ = model.wv
        digest = hashlib.sha256((corpus_digest(documents) + json.dumps(self.get_params(), sort_keys=True)).encode()).hexdigest()[:8]
        self.report_ = TrainingReport(
            name=f"trained:{self.algorithm}-{digest}",
            algorithm=self.algorithm,
            params=self.get_params(),
            documents=len(documents),
            tokens=tokens,
            vocabulary=len(model.wv),
            epoch_seconds=[round(s, 4) for s in callback.seconds],
            seed=self.seed,
        )
        return self

    def to_backend(self, *, register_backend: bool = True, persist: bool = True) -> KeyedWordVectors:
        """The trained vectors as a word backend, registered (and saved) under ``report_.name``."""
        if not hasattr(self, "wv_"):
            raise InputError("Train the model first (call fit).")
        return make_backend(self.wv_, self.report_, register_backend=register_backend, persist=persist, model=self.model_)


def make_backend(wv: object, report: TrainingReport, *, register_backend: bool = True, persist: bool = True,
                 model: object | None = None) -> KeyedWordVectors:
    """Wrap trained KeyedVectors as ``trained:...`` backend; same name = same corpus and params.
    FastText keeps its n-grams (``SubwordWordVectors``): unseen words get vectors on every page."""
    params = ", ".join(f"{k}={v}" for k, v in report.params.items() if k != "algorithm")
    description = f"{report.algorithm} trained here on {report.documents:,} documents ({params})"
    source = f"trained {report.algorithm}"
    if report.algorithm == "fasttext":
        backend: KeyedWordVectors = SubwordWordVectors(report.name, wv, source=source, description=description, model=model)
    else:
        backend = KeyedWordVectors(report.name, wv, source=source, description=description)
    if register_backend:
        # Same name = same corpus and parameters. With workers=1 the vectors are the same too;
        # with workers=2 they differ a little, and the newest run is the one the name serves.
        from embedlab.backends import catalogue

        catalogue().add(backend, "trained", persist=persist, details=report.as_dict())
    return backend


@dataclass
class FittedWords:
    """A trained word model before it joins the catalogue: the trainer (``wv_``, ``model_``,
    ``report_``), the documents it read, and where they came from."""

    trainer: WordEmbeddingTrainer
    documents: list[list[str]]
    source: str


def fit_word_vectors(
    algorithm: Algorithm,
    corpus: str = "lee",
    *,
    text: bytes | None = None,
    text_name: str = "upload",
    max_documents: int | None = None,
    architecture: Architecture = "skip-gram",
    doc_architecture: DocArchitecture = "PV-DM",
    progress: Progress | None = None,
    **params: int,
) -> FittedWords:
    """The word-training pipeline the Train page and ``embedlab train`` share: read the corpus (a
    built-in one, or the bytes of a text file, one document per line, checked), tokenise it, and
    fit. ``to_backend()`` on the trainer then registers the vectors (the CLI writes its file first)."""
    from embedlab.training.corpora import (
        builtin_corpus,
        parse_uploaded_text,
        tokenize_corpus,
    )

    if text is not None:
        texts, source = parse_uploaded_text(text, max_documents=max_documents), text_name
    else:
        texts, source = builtin_corpus(corpus, max_documents), corpus
    documents = tokenize_corpus(texts)
    trainer = trainer_from_settings(algorithm, architecture, doc_architecture, **params)
    trainer.fit(documents, progress=progress)
    return FittedWords(trainer, [list(d) for d in documents], source)


# ---------------------------------------------------------------- out-of-vocabulary demo


@dataclass(frozen=True)
class OOVReport:
    """How a model handles a word it never saw: FastText builds it from n-grams, Word2Vec cannot."""

    word: str
    in_vocabulary: bool
    ngrams: list[str]
    known_ngrams: int
    neighbors: list[tuple[str, float]]
    message: str


def trainer_from_settings(
    algorithm: Algorithm, architecture: Architecture = "skip-gram", doc_architecture: DocArchitecture = "PV-DM", **params: int
) -> WordEmbeddingTrainer:
    """A trainer from the settings as a person picks them (architectures by name, not gensim's
    0/1 switches); the other parameters are the trainer's own."""
    if architecture not in ARCHITECTURES:
        raise InputError(f"Unknown architecture {architecture!r}; choose {' or '.join(ARCHITECTURES)}.")
    if doc_architecture not in DOC_ARCHITECTURES:
        raise InputError(f"Unknown Doc2Vec architecture {doc_architecture!r}; choose {' or '.join(DOC_ARCHITECTURES)}.")
    return WordEmbeddingTrainer(algorithm, sg=ARCHITECTURES[architecture], dm=DOC_ARCHITECTURES[doc_architecture], **params)


#: the unseen-word demo's pair: FastText and Word2Vec on Lee with the same settings
UNSEEN_PAIR_SETTINGS = {"vector_size": 50, "epochs": 10, "seed": 0, "workers": 1}


@memoize(max_entries=2)
def lee_unseen_word_pair() -> tuple[Any, Any]:
    """(FastText, Word2Vec) KeyedVectors trained on the Lee corpus with the same settings."""
    documents = tokenize_corpus(builtin_corpus("lee"))
    fasttext = WordEmbeddingTrainer("fasttext", **UNSEEN_PAIR_SETTINGS).fit(documents)
    word2vec = WordEmbeddingTrainer("word2vec", **UNSEEN_PAIR_SETTINGS).fit(documents)
    return fasttext.wv_, word2vec.wv_


@memoize_models(max_entries=256, models=("fasttext_model",))
def unseen_word_reports(word: str, fasttext_model: str | None = None) -> tuple[OOVReport, OOVReport]:
    """(FastText report, Word2Vec report) for one word: FastText from the Lee pair, or the
    FastText model ``fasttext_model`` trained here."""
    fasttext, word2vec = lee_unseen_word_pair()
    if fasttext_model is not None:
        from embedlab.backends import get_word_vectors

        fasttext = get_word_vectors(fasttext_model).kv
    return oov_vector_demo(fasttext, word), oov_vector_demo(word2vec, word)


def oov_vector_demo(wv: object, word: str, k: int = 8) -> OOVReport:
    """Neighbours of ``word`` under trained vectors; explains why Word2Vec has none for unseen words."""
    from gensim.models.fasttext import FastTextKeyedVectors

    word = word.strip().lower()
    if not word:
        raise InputError("Type a word.")
    in_vocab = word in wv.key_to_index  # type: ignore[attr-defined]
    if isinstance(wv, FastTextKeyedVectors):
        from gensim.models.fasttext_inner import compute_ngrams

        ngrams = list(compute_ngrams(word, wv.min_n, wv.max_n))
        seen: set[str] = set()
        for key in wv.index_to_key:
            seen.update(compute_ngrams(key, wv.min_n, wv.max_n))
        known = sum(1 for g in ngrams if g in seen)
        neighbors = [(w, float(s)) for w, s in wv.most_similar(word, topn=k)]
        message = ("in the vocabulary" if in_vocab else
                   f"never seen in training: its vector is the mean of its {len(ngrams)} character n-gram vectors"
                   f" ({known} of them occur inside training words)")
        return OOVReport(word, in_vocab, ngrams, known, neighbors, message)
    if not in_vocab:
        return OOVReport(word, False, [], 0, [],
                         "Word2Vec/Doc2Vec keep one vector per training word; an unseen word has none (no subwords).")
    return OOVReport(word, True, [], 0, [(w, float(s)) for w, s in wv.most_similar(word, topn=k)], "in the vocabulary")  # type: ignore[attr-defined]
