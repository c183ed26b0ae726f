"""SEAT, the Sentence Encoder Association Test (May et al., 2019).

WEAT's word sets are "bleached" into semantically empty sentence templates ("This is a
{word}.", "{name} is here.", ...) and encoded by a sentence model; each sentence is one
member of its set, and the WEAT statistic, effect size and permutation p-value are computed
on the sentence vectors exactly as for words (``weat_from_vectors``). Capitalised words
(names) use name templates, others noun templates, as in the paper.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from embedlab.backends import memoize_models
from embedlab.bias.weat import (
    DEFAULT_SEED,
    MIN_RANDOM_PERMUTATIONS,
    WeatResult,
    weat_from_vectors,
)
from embedlab.bias.wordsets import WeatTest
from embedlab.errors import InputError

NOUN_TEMPLATES: tuple[str, ...] = (
    "This is a {}.",
    "That is a {}.",
    "There is a {}.",
    "Here is a {}.",
    "The {} is here.",
    "The {} is there.",
)
NAME_TEMPLATES: tuple[str, ...] = (
    "This is {}.",
    "That is {}.",
    "There is {}.",
    "Here is {}.",
    "{} is here.",
    "{} is there.",
    "{} is a person.",
    "The name of this person is {}.",
)


def sentences_for(words: Sequence[str], templates: Sequence[str] | None = None) -> list[str]:
    """Every word in every template (names get name templates unless ``templates`` is given).
    The built-in noun templates take "an" before a vowel: "This is an apple."."""
    sentences: list[str] = []
    for word in words:
        text = word.replace("_", " ")
        chosen = templates if templates is not None else (NAME_TEMPLATES if text[:1].isupper() else NOUN_TEMPLATES)
        for template in chosen:
            if "{}" not in template:
                raise InputError(f"Template {template!r} has no '{{}}' placeholder for the word.")
            if templates is None and text[:1].lower() in "aeiou":
                template = template.replace(" a {}", " an {}")
            sentences.append(template.replace("{}", text))
    return sentences


def parse_templates(text: str) -> list[str] | None:
    """Templates typed one per line, with ``{word}`` or ``{}`` as the placeholder; None if empty."""
    lines = [line.strip().replace("{word}", "{}") for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    bad = [line for line in lines if "{}" not in line]
    if bad:
        raise InputError(f"Every template needs a {{word}} placeholder: {bad[0]!r} has none.")
    if len(lines) > 30:
        raise InputError(f"At most 30 templates, got {len(lines)}.")
    return lines


@memoize_models(max_entries=64)
def seat(
    model: Any,
    test: WeatTest,
    *,
    templates: Sequence[str] | None = None,
    n_permutations: int = MIN_RANDOM_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    with_p_value: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> WeatResult:
    """SEAT of one test on a text encoder (a name such as ``minilm`` or a loaded encoder)."""
    encoder = model
    if isinstance(model, str):
        from embedlab.backends import get_text_encoder

        encoder = get_text_encoder(model)
    sets = {"X": test.x, "Y": test.y, "A": test.a, "B": test.b}
    words = {key: [w for w in s.words if w not in set(test.remove)] for key, s in sets.items()}
    sentences = {key: sentences_for(ws, templates) for key, ws in words.items()}
    flat = [sentence for key in ("X", "Y", "A", "B") for sentence in sentences[key]]
    vectors_all = encoder.encode(flat, progress=progress) if flat else np.zeros((0, encoder.dim), np.float32)
    vectors: dict[str, np.ndarray] = {}
    start = 0
    for key in ("X", "Y", "A", "B"):
        vectors[key] = vectors_all[start : start + len(sentences[key])]
        start += len(sentences[key])
    return weat_from_vectors(
        vectors,
        sentences,
        test=test.id,
        name=test.name,
        model=encoder.name,
        set_names={key: s.name for key, s in sets.items()},
        n_permutations=n_permutations,
        seed=seed,
        with_p_value=with_p_value,
        removed=[w for s in sets.values() for w in s.words if w in set(test.remove)],
        paper_effect_size=None,
        unit="sentence",
    )

