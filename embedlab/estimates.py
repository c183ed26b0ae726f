"""How long a slow step will take, said before it starts: "Encoding 1,682 texts with minilm, about
40 s on this machine".

The figures come from what this machine did last (each encoding that reports its time here is
kept in ``EMBEDLAB_HOME/estimates.json`` as a rate per model), else from the rates measured on the
reference machine (2 vCPU, DESIGN.md's baselines), scaled for a GPU. Maps have their own model in
``embedlab.maps.projection.estimated_seconds``; this module holds the shared wording.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from embedlab import cache, config

#: words per second a model reads on the reference machine (short texts; see ``encode_seconds``)
WORDS_PER_SECOND = {"text": 6_000.0, "use-multilingual": 600.0, "words": 2_000_000.0}
IMAGES_PER_SECOND = 25.0  # EfficientNet-Lite0 (and ConSE on top of it) on the reference machine
SLOW_SECONDS = 3.0  # below this a step is not announced
_FILE = "estimates.json"


def duration(seconds: float) -> str:
    """``seconds`` as a person says it: "about 40 s", "about 6 min", "about 1.5 h"."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def _learned() -> dict[str, float]:
    try:
        value = json.loads((config.embedlab_home() / _FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float) and v > 0} if isinstance(value, dict) else {}


def learn(model: str, units: float, seconds: float) -> None:
    """Keep the rate (units a second: words for text, images for images) ``model`` just ran at
    here, so the next estimate for it is this machine's own; tiny runs teach nothing."""
    if units <= 0 or seconds < 1.0:
        return
    rates = _learned()
    rates[model] = units / seconds
    cache.atomic_write(config.embedlab_home() / _FILE, json.dumps(rates, sort_keys=True).encode("utf-8"))


def _device_factor(model: str, kind: str) -> float:
    """A GPU encodes about ten times faster than the reference machine's CPU (numpy models stay on CPU)."""
    if model == "use-multilingual" or kind == "words":
        return 1.0
    try:
        from embedlab.device import resolve_device

        return 0.1 if resolve_device().startswith("cuda") else 1.0
    except Exception:  # an estimate never fails a page
        return 1.0


def text_units(words_per_text: float) -> float:
    """The cost of one text in "short-sentence words": a transformer reads at most ~200 words
    (256 word pieces) and attention grows faster than the length, so a long text costs more per
    word than a short one (12-word sentences: ~500 a second; 200-word articles: ~10 a second)."""
    words = min(max(words_per_text, 1.0), 200.0)
    return words * (1 + words / 100.0)


def encode_seconds(model: str, texts: int, words_per_text: float = 12.0, kind: str = "text") -> float:
    """Roughly how long ``model`` (of ``kind``: "text" or "words") takes to encode ``texts`` texts
    of ``words_per_text`` words here."""
    units = texts * text_units(words_per_text)
    learned = _learned().get(model)
    if learned:
        return units / learned
    rate = WORDS_PER_SECOND.get(model) or WORDS_PER_SECOND.get(kind) or WORDS_PER_SECOND["text"]
    if kind == "words":
        units = texts * max(words_per_text, 1.0)
    return units / rate * _device_factor(model, kind) + (2.0 if kind != "words" else 0.0)  # + loading the model


def texts_seconds(model: str, texts: Sequence[str], chunk_words: int = 0, kind: str = "text",
                  overlap_words: int = 0) -> tuple[int, float]:
    """(how many pieces, roughly how many seconds) to encode ``texts`` with ``model`` here, each
    text longer than ``chunk_words`` cut into windows of that many words, each starting
    ``chunk_words - overlap_words`` after the last (as the ingest chunks; 0: whole texts)."""
    lengths: list[int] = []
    step = max(chunk_words - overlap_words, 1)
    for text in texts:
        words = len(str(text).split())
        if not words:
            continue
        if chunk_words and words > chunk_words:
            starts = range(0, words, step)
            for start in starts:
                lengths.append(min(chunk_words, words - start))
                if start + chunk_words >= words:
                    break
        else:
            lengths.append(words)
    if not lengths:
        return 0, 0.0
    return len(lengths), encode_seconds(model, len(lengths), sum(lengths) / len(lengths), kind)


def images_seconds(model: str, images: int) -> float:
    """Roughly how long ``model`` takes to encode ``images`` pictures here."""
    rate = _learned().get(model) or IMAGES_PER_SECOND / _device_factor(model, "image")
    return images / rate + 2.0


def announce(what: str, seconds: float, *, cached: str = "") -> str:
    """One sentence said before slow work: "Encoding 1,682 texts with minilm, about 40 s on this
    machine" (and what is kept, when ``cached`` says so); empty when the work is quick."""
    if seconds < SLOW_SECONDS:
        return ""
    return f"{what}, {duration(seconds)} on this machine" + (f" ({cached})" if cached else "") + "."


def announce_encoding(model: str, texts: Sequence[str], chunk_words: int = 0, *, overlap_words: int = 0, kind: str = "text",
                      cached: str = "") -> str:
    """``announce`` for encoding ``texts`` with ``model`` ("Encoding 1,682 texts with minilm, about
    40 s on this machine"); empty when it is quick."""
    pieces, seconds = texts_seconds(model, texts, chunk_words, kind, overlap_words)
    what = "pieces of text" if pieces != len(texts) else "texts"
    return announce(f"Encoding {pieces:,} {what} with {model}", seconds, cached=cached)


def announce_models(models: Mapping[str, str], texts: Sequence[str], *, max_words: int = 0, cached: str = "") -> str:
    """``announce`` for encoding the same ``texts`` with each of ``models`` (name: kind; leave out
    what costs nothing worth saying, such as a TF-IDF baseline), each text read up to ``max_words``
    words (0: whole)."""
    words = [min(len(str(t).split()), max_words) if max_words else len(str(t).split()) for t in texts]
    mean = sum(words) / len(words) if words else 0.0
    costs = {m: encode_seconds(m, len(texts), mean, kind) for m, kind in models.items()}
    slow = {m: seconds for m, seconds in costs.items() if seconds >= 1.0}
    if sum(slow.values()) < SLOW_SECONDS:
        return ""
    each = ", ".join(f"{m} {duration(seconds)}" for m, seconds in slow.items())
    return announce(f"Encoding {len(texts):,} texts: {each}; in all", sum(slow.values()), cached=cached)


@contextmanager
def timed(model: str, units: float) -> Iterator[Callable[[], float]]:
    """Time a piece of work of ``units`` (words or images) and ``learn`` the rate from it."""
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started
    learn(model, units, time.perf_counter() - started)
