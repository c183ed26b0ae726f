"""Downstream (extrinsic) evaluation: how well a linear classifier reads labels off embeddings.

The protocol is MTEB's classification task made exhaustive (``classifier``); on top of it:
labelled data (``data``), representations (``features``), the comparison with each one's scores
kept on disk by content (``compare``), and the word-level benchmarks of the same
representations with whether they rank them as the downstream accuracy does (``intrinsic``).
"""

from __future__ import annotations

from embedlab.analysis.downstream.classifier import (
    DEFAULT_C,
    DEFAULT_FOLDS,
    DEFAULT_SEED,
    MAX_ITER,
    ClassifierScores,
    FoldModel,
    check_labels,
    cross_validate,
)
from embedlab.analysis.downstream.compare import (
    Comparison,
    RepresentationKind,
    RepresentationResult,
    compare,
    comparison_announcement,
    evaluate_representation,
    representation_kind,
    representations,
)
from embedlab.analysis.downstream.data import (
    DataSource,
    LabelledData,
    builtin_data,
    collection_data,
    labelled_data,
    labelled_datasets,
    rare_labels,
    stratified_sample,
    upload_data,
    without_rare_labels,
)
from embedlab.analysis.downstream.features import (
    DEFAULT_MAX_ROWS,
    STORED,
    TEXT_MODEL_WORDS,
    TFIDF,
    TOKEN_RULE,
    WordCoverage,
    mean_word_vectors,
    tfidf_model,
    tokenize,
    truncate_words,
)
from embedlab.analysis.downstream.intrinsic import (
    INTRINSIC_BENCHMARKS,
    IntrinsicScores,
    RankAgreement,
    intrinsic_scores,
    rank_agreement,
)

__all__ = [
    "ClassifierScores",
    "Comparison",
    "DEFAULT_C",
    "DEFAULT_FOLDS",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_SEED",
    "DataSource",
    "FoldModel",
    "INTRINSIC_BENCHMARKS",
    "IntrinsicScores",
    "LabelledData",
    "MAX_ITER",
    "RankAgreement",
    "RepresentationKind",
    "RepresentationResult",
    "STORED",
    "TEXT_MODEL_WORDS",
    "TFIDF",
    "TOKEN_RULE",
    "WordCoverage",
    "builtin_data",
    "check_labels",
    "collection_data",
    "compare",
    "comparison_announcement",
    "cross_validate",
    "evaluate_representation",
    "intrinsic_scores",
    "labelled_data",
    "labelled_datasets",
    "mean_word_vectors",
    "rank_agreement",
    "rare_labels",
    "representation_kind",
    "representations",
    "stratified_sample",
    "tfidf_model",
    "tokenize",
    "truncate_words",
    "upload_data",
    "without_rare_labels",
]
