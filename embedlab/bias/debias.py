"""Hard debiasing (Bolukbasi et al., 2016): neutralise and equalise, into a new word backend.

1. Normalise every vector to unit length and find the gender direction g (definitional PCA).
2. Neutralise: every word that is not gender-specific (``specific_full`` ∪ definitional ∪
   equalize words of ``bolukbasi.json``, in lower, Title and UPPER case) loses its component
   along g and is renormalised, so it sits on the neutral plane.
3. Equalise: each equalize pair (man/woman, king/queen, ...; case variants the model knows)
   is moved to the same neutral part ν (their centre minus its g-component), and placed
   symmetrically at ±sqrt(1 − |ν|²) along g, so both words are equally far from every
   neutral word.

``HardDebias`` is a scikit-learn-style estimator (parameters in ``__init__``, checked in
``fit``); ``debias`` runs it on a registered model, registers the result under a new name and
measures the same WEAT tests, direct bias and Google analogy accuracy before and after.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedlab.bias.direct_bias import DirectBiasResult, direct_bias
from embedlab.bias.direction import BiasDirection, gender_direction, project
from embedlab.bias.weat import WeatResult, weat_all
from embedlab.bias.wordsets import bolukbasi
from embedlab.errors import InputError

ANALOGY_RESTRICT_VOCAB = 30_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,62}[A-Za-z0-9]$")


def _case_forms(word: str) -> set[str]:
    return {word, word.lower(), word.title(), word.upper()}


class HardDebias:
    """Neutralise + equalise along the gender direction.

    Parameters: ``definitional_pairs`` (for the direction), ``equalize_pairs``,
    ``specific_words`` (left un-neutralised); None means Bolukbasi's lists.
    Fitted attributes: ``direction_`` (BiasDirection), ``specific_`` (set of keys kept),
    ``equalize_pairs_`` (pairs found in the model).
    """

    def __init__(
        self,
        definitional_pairs: Sequence[tuple[str, str]] | None = None,
        equalize_pairs: Sequence[tuple[str, str]] | None = None,
        specific_words: Sequence[str] | None = None,
    ) -> None:
        self.definitional_pairs = definitional_pairs
        self.equalize_pairs = equalize_pairs
        self.specific_words = specific_words

    def fit(self, model: Any) -> HardDebias:
        """Learn the direction and which words are gender-specific in ``model``."""
        data = bolukbasi()
        definitional = list(self.definitional_pairs) if self.definitional_pairs is not None else list(data.definitional_pairs)
        equalize = list(self.equalize_pairs) if self.equalize_pairs is not None else list(data.equalize_pairs)
        if self.specific_words is not None:
            specific = set(self.specific_words) | {w for pair in definitional + equalize for w in pair}
        else:
            specific = set(data.specific_all)
        if any(len(pair) != 2 for pair in definitional + equalize):
            raise InputError("Definitional and equalize pairs must be pairs of two words.")
        kv = model.kv
        self.direction_: BiasDirection = gender_direction(model, definitional if self.definitional_pairs is not None else None)
        known = kv.key_to_index
        self.specific_ = {form for word in specific for form in _case_forms(word) if form in known}
        pairs: list[tuple[str, str]] = []
        for first, second in equalize:
            for form_a, form_b in zip(
                (first, first.lower(), first.title(), first.upper()), (second, second.lower(), second.title(), second.upper()), strict=False
            ):
                if form_a in known and form_b in known and form_a != form_b and (form_a, form_b) not in pairs:
                    pairs.append((form_a, form_b))
        self.equalize_pairs_ = pairs
        return self

    def transform(self, model: Any, name: str) -> Any:
        """A new ``KeyedWordVectors`` called ``name`` with neutralised and equalised vectors."""
        from gensim.models import KeyedVectors

        from embedlab.backends.words import KeyedWordVectors

        if not hasattr(self, "direction_"):
            raise InputError("HardDebias.transform called before fit.")
        kv = model.kv
        if kv.vector_size != self.direction_.vector.shape[0]:
            raise InputError("This debiaser was fitted on a model of another dimension.")
        g = self.direction_.vector.astype(np.float32)
        vectors = np.array(kv.get_normed_vectors(), dtype=np.float32, copy=True)
        keys = list(kv.index_to_key)
        neutral = np.ones(len(keys), dtype=bool)
        specific_rows = [kv.key_to_index[w] for w in self.specific_]
        neutral[specific_rows] = False
        rows = np.flatnonzero(neutral)
        for start in range(0, len(rows), 100_000):  # bounded memory on large vocabularies
            chunk = rows[start : start + 100_000]
            block = vectors[chunk]
            block -= np.outer(block @ g, g)
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            vectors[chunk] = block / norms
        for first, second in self.equalize_pairs_:
            i, j = kv.key_to_index[first], kv.key_to_index[second]
            e1, e2 = vectors[i].astype(np.float64), vectors[j].astype(np.float64)
            mu = (e1 + e2) / 2.0
            nu = mu - (mu @ g) * g
            scale = np.sqrt(max(0.0, 1.0 - float(nu @ nu)))
            sign1 = 1.0 if (e1 - mu) @ g >= 0 else -1.0
            vectors[i] = nu + sign1 * scale * g
            vectors[j] = nu - sign1 * scale * g
        new_kv = KeyedVectors(vector_size=kv.vector_size, dtype=np.float32)
        new_kv.add_vectors(keys, vectors)
        self.n_neutralised_ = int(len(rows))
        return KeyedWordVectors(name, new_kv, source=f"hard-debiased {model.name}")


@dataclass(frozen=True)
class DebiasReport:
    """Before/after figures of a hard-debiased model."""

    base: str
    out: str
    explained_variance: float | None
    n_words: int
    n_neutralised: int
    n_specific: int
    equalize_pairs: list[tuple[str, str]]
    direct_bias_before: DirectBiasResult
    direct_bias_after: DirectBiasResult
    direct_bias_after_original_axis: float
    weat_before: list[WeatResult]
    weat_after: list[WeatResult]
    analogy_before: float | None = None
    analogy_after: float | None = None
    analogy_restrict_vocab: int = ANALOGY_RESTRICT_VOCAB
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the CLI."""
        before = {r.test: r for r in self.weat_before}
        return {
            "backend": self.out,
            "base": self.base,
            "explained_variance": self.explained_variance,
            "n_words": self.n_words,
            "n_neutralised": self.n_neutralised,
            "n_specific": self.n_specific,
            "n_equalize_pairs": len(self.equalize_pairs),
            "direct_bias": {
                "c": self.direct_bias_before.c,
                "before": self.direct_bias_before.value,
                "after": self.direct_bias_after.value,
                "after_on_original_axis": self.direct_bias_after_original_axis,
                "n_words": self.direct_bias_before.n_words,
            },
            "weat": [
                {
                    "test": after.test,
                    "name": after.name,
                    "effect_size_before": before[after.test].effect_size,
                    "effect_size_after": after.effect_size,
                    "p_value_before": before[after.test].p_value,
                    "p_value_after": after.p_value,
                    "reason": after.reason,
                }
                for after in self.weat_after
            ],
            "analogy_accuracy": {
                "before": self.analogy_before,
                "after": self.analogy_after,
                "restrict_vocab": self.analogy_restrict_vocab,
                "dataset": "Google analogies (gensim questions-words.txt)",
            },
            "seconds": round(self.seconds, 2),
            "notes": self.notes,
        }


def analogy_accuracy(model: Any, restrict_vocab: int = ANALOGY_RESTRICT_VOCAB) -> float:
    """Google analogy accuracy via gensim's ``evaluate_word_analogies`` (3CosAdd, case-insensitive)."""
    from gensim.test.utils import datapath

    score, _ = model.kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=restrict_vocab)
    return float(score)


def check_out_name(name: str, base: str | None = None) -> None:
    """A new backend name must be well formed and not shadow another model. Re-making the same
    debiased copy of the same base is allowed (deterministic, so cached results stay true)."""
    from embedlab.backends import backend_names

    if not _NAME.match(name or ""):
        raise InputError(
            f"Backend name {name!r} is not allowed: use 2-64 letters, digits, ':', '.', '_' or '-', starting and ending with a letter or digit."
        )
    from embedlab.backends import catalogue

    note = catalogue().saved.note(name)
    remade = note is not None and note.origin == "debiased" and note.base == base
    if name in backend_names() and not remade:
        raise InputError(f"A model named {name!r} already exists; choose another name for the debiased copy.")


def debias(
    model: str,
    out: str,
    *,
    tests: Sequence[Any] | None = None,
    c: float = 1.0,
    analogies: bool = True,
    restrict_vocab: int = ANALOGY_RESTRICT_VOCAB,
    seed: int = 0,
    n_permutations: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> DebiasReport:
    """Hard-debias ``model`` into a new backend ``out`` (registered), with before/after figures."""
    from embedlab.backends import catalogue, get_word_vectors

    if out == model:
        raise InputError("The debiased copy needs a name different from its model's.")
    check_out_name(out, model)
    started = time.perf_counter()
    steps = 6 if analogies else 4
    tick = (lambda n: progress(n, steps)) if progress else (lambda n: None)
    base = get_word_vectors(model)
    if base.name == out:
        raise InputError("The debiased copy needs a name different from its model's.")
    estimator = HardDebias().fit(base)
    debiased = estimator.transform(base, out)
    tick(1)
    bias_before = direct_bias(base, c=c, direction=estimator.direction_)
    bias_after = direct_bias(debiased, c=c)
    original_axis = project(debiased, list(bias_before.words), estimator.direction_)
    from embedlab.bias.direct_bias import direct_bias_value

    after_original = direct_bias_value(original_axis.values, c) if len(original_axis.words) else float("nan")
    tick(2)
    weat_before = weat_all(base, tests, seed=seed, n_permutations=n_permutations)
    tick(3)
    weat_after = weat_all(debiased, tests, seed=seed, n_permutations=n_permutations)
    tick(4)
    before_acc = after_acc = None
    if analogies:
        before_acc = analogy_accuracy(base, restrict_vocab)
        tick(5)
        after_acc = analogy_accuracy(debiased, restrict_vocab)
        tick(6)
    catalogue().add(debiased, "debiased", persist=True, base=model)  # every page and command sees it, after restarts too
    return DebiasReport(
        base=base.name,
        out=out,
        explained_variance=estimator.direction_.first_explained,
        n_words=debiased.vocab_size,
        n_neutralised=estimator.n_neutralised_,
        n_specific=len(estimator.specific_),
        equalize_pairs=list(estimator.equalize_pairs_),
        direct_bias_before=bias_before,
        direct_bias_after=bias_after,
        direct_bias_after_original_axis=after_original,
        weat_before=weat_before,
        weat_after=weat_after,
        analogy_before=before_acc,
        analogy_after=after_acc,
        analogy_restrict_vocab=restrict_vocab,
        seconds=time.perf_counter() - started,
        notes=[
            "direct bias 'after' uses the gender direction re-identified in the debiased model;"
            " 'after_on_original_axis' uses the direction that was removed",
        ],
    )
