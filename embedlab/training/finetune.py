"""Contrastive fine-tuning of a sentence-transformers model on a labelled text dataset.

Protocol (seeded throughout, the seed is in the result):

1. **Data.** A labelled dataset, read as the Downstream page reads it (``LabelledData`` of
   ``embedlab.analysis.downstream``): a built-in one (news by outlet, healthtweets by account,
   commons by party), an uploaded table with a text and a label column, or a stored collection
   with labels. Labels with fewer than
   ``MIN_PER_LABEL`` rows are dropped (and named); at most ``max_rows`` rows are drawn, stratified
   by label; then a stratified ``held_out`` share is set aside. Only the training part trains.
2. **Training.** sentence-transformers' own ``SentenceTransformerTrainer`` and losses:

   - ``mnrl``: MultipleNegativesRankingLoss on (anchor, positive) pairs. Each training text is an
     anchor once; its positive is another training text *of the same label*, drawn with the seed.
     The other pairs' positives in the batch are the negatives (in-batch negatives); a batch never
     holds one text twice (``BatchSamplers.NO_DUPLICATES``). With few labels some in-batch
     "negatives" share the anchor's label (about 1 in L for L balanced labels): label-level pairs
     are noisier than true paraphrase pairs, which is the price of needing labels only.
   - ``batch-hard-triplet``: BatchHardTripletLoss on (text, label): in each batch, every text's
     farthest same-label text is pulled closer than its nearest other-label text, by a margin.
     ``BatchSamplers.GROUP_BY_LABEL`` puts at least two rows of several labels in every batch.

   Texts are cut to ``max_seq_length`` tokens while training (the CPU cost grows with it); the saved
   model encodes with the base model's own length, so before and after differ only in weights.
3. **Before/after on the held-out split** (texts neither model trained on): same-label retrieval
   (for each held-out text, the other held-out texts ranked by cosine: precision@10 and MRR of the
   first same-label text) and downstream accuracy, ``cross_validate`` (stratified k-fold logistic
   regression, the shared core of the Downstream page) on the held-out vectors; and a map of the
   held-out vectors of each model (PCA by default), coloured by label.
4. **Result.** A new text model ``finetuned:<name>`` saved under ``EMBEDLAB_HOME`` (a
   sentence-transformers directory, safetensors) with a note holding the settings and the figures,
   so the page shows the result again from a link, after a restart.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np

from embedlab.analysis.downstream import LabelledData, rare_labels, stratified_sample
from embedlab.backends.base import Progress
from embedlab.errors import InputError

Loss = Literal["mnrl", "batch-hard-triplet"]
LOSSES: dict[str, str] = {
    "mnrl": "MultipleNegativesRankingLoss on same-label (anchor, positive) pairs, in-batch negatives",
    "batch-hard-triplet": "BatchHardTripletLoss on (text, label), batches grouped by label",
}
PREFIX = "finetuned:"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")
MIN_PER_LABEL = 10  # so that a 20% held-out share keeps at least 2 rows of each label (retrieval needs a pair)
RETRIEVAL_K = 10
MAX_FOLDS = 5
DEFAULT_BASE = "minilm"
Stage = Callable[[str], None]


@dataclass(frozen=True)
class FineTuneSettings:
    """What a fine-tuning run does. The defaults are sized for a CPU: a few minutes here. The
    default loss is batch-hard triplet: on news by outlet it gained more held-out retrieval than
    MNRL with the same settings (precision@10 +0.094 against +0.009) and encodes half as many
    texts per step (README, "Fine-tuning")."""

    loss: str = "batch-hard-triplet"
    epochs: int = 1
    max_rows: int = 600
    held_out: float = 0.2
    batch_size: int = 16
    learning_rate: float = 5e-5
    max_seq_length: int = 64
    seed: int = 0
    map_method: str = "pca"

    def validate(self) -> FineTuneSettings:
        """The settings, or an InputError naming the one that cannot be used."""
        if self.loss not in LOSSES:
            raise InputError(f"Unknown loss {self.loss!r}; use one of {', '.join(LOSSES)}.")
        if not 1 <= self.epochs <= 20:
            raise InputError(f"epochs must be between 1 and 20, got {self.epochs}.")
        if not 40 <= self.max_rows <= 20_000:
            raise InputError(f"max rows must be between 40 and 20,000, got {self.max_rows}.")
        if not 0.1 <= self.held_out <= 0.5:
            raise InputError(f"the held-out share must be between 0.1 and 0.5, got {self.held_out}.")
        if not 4 <= self.batch_size <= 256:
            raise InputError(f"batch size must be between 4 and 256, got {self.batch_size}.")
        if self.loss == "batch-hard-triplet" and self.batch_size % 2:
            raise InputError(f"batch-hard triplet needs an even batch size (pairs of each label), got {self.batch_size}.")
        if not 0 < self.learning_rate <= 1e-3:
            raise InputError(f"learning rate must be in (0, 0.001], got {self.learning_rate}.")
        if not 16 <= self.max_seq_length <= 512:
            raise InputError(f"max sequence length must be between 16 and 512 tokens, got {self.max_seq_length}.")
        if not 0 <= self.seed < 2**32:
            raise InputError(f"the seed must be between 0 and 2**32 - 1, got {self.seed}.")
        if self.map_method not in ("pca", "umap"):
            raise InputError(f"the map is pca or umap, not {self.map_method!r}.")
        return self


@dataclass(frozen=True)
class Split:
    """Row numbers (into the LabelledData) of the training and held-out parts."""

    train: tuple[int, ...]
    held_out: tuple[int, ...]
    dropped: dict[str, int] = field(default_factory=dict)  # label -> rows, too few to keep


@dataclass(frozen=True)
class HeldOutScores:
    """One model's figures on the held-out split."""

    model: str
    accuracy: float
    accuracy_std: float
    macro_f1: float
    precision_at_10: float
    mrr: float
    folds: int


@dataclass(frozen=True)
class FineTuneResult:
    """A fine-tuning run: the new model's name, the settings, the before/after figures and maps."""

    name: str
    base: str
    dataset: str
    settings: FineTuneSettings
    train_rows: int
    held_out_rows: int
    labels: tuple[str, ...]
    dropped_labels: dict[str, int]
    steps: int
    losses: tuple[float, ...]  # the training loss, logged along the way
    before: HeldOutScores
    after: HeldOutScores
    map_labels: tuple[str, ...]
    map_texts: tuple[str, ...]  # the held-out texts, shortened, for hover
    map_before: tuple[tuple[float, float], ...]
    map_after: tuple[tuple[float, float], ...]
    train_seconds: float
    seconds: float
    device: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (the saved note, the CLI's ``--json`` with ``figures()``)."""
        document = asdict(self)
        document["settings"] = asdict(self.settings)
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> FineTuneResult:
        """The result of a saved note (the page shows it again from a link)."""
        try:
            values = dict(document)
            values["settings"] = FineTuneSettings(**values["settings"])
            values["before"] = HeldOutScores(**values["before"])
            values["after"] = HeldOutScores(**values["after"])
            for key in ("labels", "losses", "map_labels", "map_texts"):
                values[key] = tuple(values[key])
            for key in ("map_before", "map_after"):
                values[key] = tuple((float(x), float(y)) for x, y in values[key])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"This saved fine-tuning note cannot be read ({type(error).__name__}: {error}).") from error

    def figures(self) -> dict[str, Any]:
        """The CLI's JSON document: the model, the settings and the before/after figures."""
        scores = ("accuracy", "macro_f1", "precision_at_10", "mrr")
        return {"model": self.name, "base": self.base, "dataset": self.dataset, "loss": self.settings.loss,
                "epochs": self.settings.epochs, "seed": self.settings.seed, "settings": asdict(self.settings),
                "train_rows": self.train_rows, "held_out_rows": self.held_out_rows, "labels": len(self.labels),
                "folds": self.after.folds, "steps": self.steps,
                "before": {key: getattr(self.before, key) for key in scores},
                "after": {key: getattr(self.after, key) for key in scores},
                "train_seconds": round(self.train_seconds, 1), "seconds": round(self.seconds, 1), "device": self.device}


# -- data -----------------------------------------------------------------------------------------


def split_rows(data: LabelledData, settings: FineTuneSettings) -> Split:
    """Seeded, stratified: drop labels with too few rows, draw at most ``max_rows``, hold out a share."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(data.labels, dtype=object)
    rows = np.arange(len(labels))
    dropped = rare_labels(labels, MIN_PER_LABEL)
    rows = rows[~np.isin(labels, list(dropped))]
    if len(np.unique(labels[rows])) >= 2:
        drawn = stratified_sample(labels[rows], settings.max_rows, settings.seed)
        if drawn is not None:
            rows = rows[drawn]
            small = rare_labels(labels[rows], MIN_PER_LABEL)
            dropped.update(small)
            rows = rows[~np.isin(labels[rows], list(small))]
    kept = np.unique(labels[rows])
    if len(kept) < 2:
        listed = ", ".join(f"{name!r} ({count})" for name, count in sorted(dropped.items())[:5])
        raise InputError(f"Fine-tuning needs at least two labels with {MIN_PER_LABEL} rows or more each in {data.name!r}"
                         f" (found {len(kept)}{'; too few: ' + listed if listed else ''}). Raise the row count or use"
                         " another label column.")
    train, held = train_test_split(rows, test_size=settings.held_out, stratify=labels[rows], random_state=settings.seed)
    return Split(tuple(int(i) for i in np.sort(train)), tuple(int(i) for i in np.sort(held)), dropped)


def mnrl_pairs(texts: Sequence[str], labels: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """(anchors, positives): each text once as an anchor, with another text of its label drawn
    with ``seed`` as its positive."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, []).append(row)
    positives = []
    for row, label in enumerate(labels):
        others = [other for other in by_label[label] if other != row]
        if not others:
            raise InputError(f"Label {label!r} has one training text; a pair needs two.")
        positives.append(texts[int(rng.choice(others))])
    return list(texts), positives


# -- figures --------------------------------------------------------------------------------------


def same_label_retrieval(vectors: np.ndarray, labels: Sequence[str], k: int = RETRIEVAL_K) -> tuple[float, float]:
    """(precision@k, MRR): each row queries the others by cosine; a hit is a row of its label."""
    from embedlab.vectors import cosine_matrix

    scores = cosine_matrix(vectors)
    np.fill_diagonal(scores, -np.inf)
    target = np.asarray(labels, dtype=object)
    order = np.argsort(-scores, axis=1, kind="stable")[:, : len(target) - 1]
    hits = target[order] == target[:, None]
    has_pair = hits.any(axis=1)
    if not has_pair.any():
        raise InputError("No held-out text has another of its label; retrieval cannot be scored.")
    cut = min(k, hits.shape[1])
    precision = float(hits[has_pair, :cut].mean())
    first = hits[has_pair].argmax(axis=1)
    return precision, float(np.mean(1.0 / (first + 1)))


def held_out_scores(model: str, vectors: np.ndarray, labels: Sequence[str], seed: int) -> HeldOutScores:
    """Retrieval and cross-validated downstream accuracy of one model's held-out vectors."""
    from embedlab.analysis.downstream import cross_validate

    folds = max(2, min(MAX_FOLDS, int(np.unique(np.asarray(labels, dtype=object), return_counts=True)[1].min())))
    scores = cross_validate(vectors, labels, representation=model, folds=folds, seed=seed)
    precision, mrr = same_label_retrieval(vectors, labels)
    return HeldOutScores(model, scores.accuracy, scores.accuracy_std, scores.macro_f1, precision, mrr, folds)


def _map(vectors: np.ndarray, settings: FineTuneSettings) -> tuple[tuple[float, float], ...]:
    from embedlab.maps.projection import ProjectionParams, project

    coords = project(vectors, ProjectionParams(method=settings.map_method, seed=settings.seed)).coords
    return tuple((round(float(x), 4), round(float(y), 4)) for x, y in coords)


# -- names and models -----------------------------------------------------------------------------


def model_name(out: str) -> str:
    """``finetuned:<out>`` (``out`` may carry the prefix), or an InputError saying what is allowed."""
    bare = out[len(PREFIX):] if out.startswith(PREFIX) else out
    if not NAME_PATTERN.match(bare):
        raise InputError(f"Model name {bare!r} is not allowed: use 1-48 lowercase letters, digits, '.', '_' or '-',"
                         " starting with a letter or digit.")
    return PREFIX + bare


def default_name(dataset: str, settings: FineTuneSettings, base: str = DEFAULT_BASE) -> str:
    """A name that says what was trained: dataset, loss, epochs, rows and seed (and the base if not MiniLM)."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", dataset.lower()).strip("-._")[:16] or "data"
    based = "" if base == DEFAULT_BASE else "-" + (re.sub(r"[^a-z0-9._-]+", "-", base.lower()).strip("-._")[:12] or "base")
    loss = "mnrl" if settings.loss == "mnrl" else "triplet"
    return model_name(f"{stem}{based}-{loss}-e{settings.epochs}-r{settings.max_rows}-s{settings.seed}")


def trainable_source(base: str) -> str:
    """Where the base model's files are (a sentence-transformers model), or an InputError."""
    from embedlab.backends import backend_names, catalogue, get_text_encoder
    from embedlab.backends.saved import SavedTextEncoder
    from embedlab.backends.sentence import SentenceTransformerEncoder

    encoder: object = get_text_encoder(base)
    if isinstance(encoder, SavedTextEncoder):
        return str(encoder.path)
    if isinstance(encoder, SentenceTransformerEncoder):
        return encoder.source
    trainable = [name for name in backend_names() if catalogue().kind(name) == "text" and
                 (name == DEFAULT_BASE or name.startswith(PREFIX))]
    raise InputError(f"{base!r} is not a sentence-transformers model, so it cannot be fine-tuned here; use one of "
                     f"{', '.join(trainable)}.")


def _train(source: str, device: str, texts: list[str], labels: list[str], settings: FineTuneSettings,
           progress: Progress | None) -> tuple[Any, int, list[float]]:
    """The trained SentenceTransformer, its step count and its logged losses."""
    from embedlab._compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.model_card import BaseModelCardCallback
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import (
        BatchHardTripletLoss,
        MultipleNegativesRankingLoss,
    )
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = SentenceTransformer(source, device=device)  # a fresh copy: the shared loaded base stays as it is
    encode_length = model.max_seq_length
    model.max_seq_length = settings.max_seq_length
    model.model_card_data.widget = [{"text": ""}]  # no model card is written: skip picking its examples (a bar on stderr)
    if settings.loss == "mnrl":
        anchors, positives = mnrl_pairs(texts, labels, settings.seed)
        train_data = Dataset.from_dict({"anchor": anchors, "positive": positives})
        loss: Any = MultipleNegativesRankingLoss(model)
        sampler = BatchSamplers.NO_DUPLICATES
    else:
        ids = {label: number for number, label in enumerate(sorted(set(labels)))}
        train_data = Dataset.from_dict({"sentence": texts, "label": [ids[label] for label in labels]})
        loss = BatchHardTripletLoss(model)
        sampler = BatchSamplers.GROUP_BY_LABEL
    steps_per_epoch = math.ceil(len(texts) / settings.batch_size)
    logged: list[float] = []

    class Report(TrainerCallback):
        """Steps to ``progress``, losses to ``logged``."""

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if progress is not None:
                progress(int(state.global_step), int(state.max_steps))

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
            if logs and "loss" in logs:
                logged.append(round(float(logs["loss"]), 5))

    with tempfile.TemporaryDirectory(prefix="embedlab-finetune-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch, num_train_epochs=settings.epochs, per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate, warmup_steps=0.1, seed=settings.seed, data_seed=settings.seed,
            batch_sampler=sampler, report_to="none", save_strategy="no", logging_strategy="steps",
            logging_steps=max(1, steps_per_epoch * settings.epochs // 20), disable_tqdm=True, use_cpu=device == "cpu",
            dataloader_num_workers=0, log_level="error",
        )
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train_data, loss=loss, callbacks=[Report()])
        for quiet in (BaseModelCardCallback, PrinterCallback, ProgressCallback):  # no card; logs go to ``logged``, not stdout
            trainer.remove_callback(quiet)
        output = trainer.train()
    model.max_seq_length = encode_length
    return model, int(output.global_step), logged


def finetune(
    data: LabelledData,
    settings: FineTuneSettings | None = None,
    *,
    base: str = DEFAULT_BASE,
    out: str | None = None,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> FineTuneResult:
    """Fine-tune ``base`` on ``data`` (see the module), save it as ``finetuned:<out>`` and return
    the before/after figures on the held-out split."""
    from embedlab.backends import catalogue, encode_texts
    from embedlab.backends.sentence import SentenceTransformerEncoder
    from embedlab.device import resolve_device

    started = time.perf_counter()
    tell = stage or (lambda text: None)
    settings = (settings or FineTuneSettings()).validate()
    name = model_name(out) if out else default_name(data.name, settings, base)
    if catalogue().is_built_in(name):
        raise InputError(f"{name!r} is a built-in model; choose another name.")
    source = trainable_source(base)
    split = split_rows(data, settings)
    train_texts = [data.texts[i] for i in split.train]
    train_labels = [data.labels[i] for i in split.train]
    held_texts = [data.texts[i] for i in split.held_out]
    held_labels = [data.labels[i] for i in split.held_out]
    device = resolve_device()

    tell(f"encoding the {len(held_texts):,} held-out texts with {base}")
    before_vectors = encode_texts(base, held_texts).vectors
    tell(f"training {settings.loss} on {len(train_texts):,} texts, {settings.epochs} epoch(s), on {device}")
    trained_at = time.perf_counter()
    model, steps, losses = _train(source, device, train_texts, train_labels, settings, progress)
    train_seconds = time.perf_counter() - trained_at
    description = f"{base} fine-tuned on {data.name} ({settings.loss}, {settings.epochs} epoch(s), seed {settings.seed})"
    encoder = SentenceTransformerEncoder(name, source, device=device, model=model, description=description)
    tell(f"encoding the held-out texts with {name}")
    after_vectors = encoder.encode(held_texts)
    tell("scoring retrieval and downstream accuracy, drawing the maps")
    before = held_out_scores(base, before_vectors, held_labels, settings.seed)
    after = held_out_scores(name, after_vectors, held_labels, settings.seed)
    result = FineTuneResult(
        name=name, base=base, dataset=data.name, settings=settings, train_rows=len(train_texts),
        held_out_rows=len(held_texts), labels=tuple(sorted(set(train_labels))), dropped_labels=split.dropped, steps=steps,
        losses=tuple(losses), before=before, after=after, map_labels=tuple(held_labels),
        map_texts=tuple(text if len(text) <= 120 else text[:119] + "…" for text in held_texts),
        map_before=_map(before_vectors, settings), map_after=_map(after_vectors, settings),
        train_seconds=train_seconds, seconds=0.0, device=device)
    result = replace(result, seconds=time.perf_counter() - started)
    tell(f"saving {name}")
    catalogue().add(encoder, "trained", persist=True, base=base, details={"finetune": result.as_dict()})
    return result


def saved_result(name: str) -> FineTuneResult | None:
    """The result kept in a fine-tuned model's note (None for another model or none at all)."""
    from embedlab.backends import catalogue

    note = catalogue().saved.note(name)
    if note is None or "finetune" not in note.details:
        return None
    return FineTuneResult.from_dict(note.details["finetune"])

