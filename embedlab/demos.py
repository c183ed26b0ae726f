"""The worked examples of the guided demos, as data: pages load them, tests check them, and
the engine runs the parts that are work (the Explore demo's ingest)."""

from __future__ import annotations

from collections.abc import Callable

HOME_SENTENCES = ("The cat sat on the mat", "A feline rested on the rug", "Stock markets fell sharply today")
SIMILARITY_SENTENCES = (
    "The cat sat on the mat",
    "A feline rested on the rug",
    "Dogs are great pets",
    "Python is a programming language",
    "I write software in Python every day",
)
SIMILARITY_WORDS = ("king", "queen", "man", "woman", "cat", "dog", "car", "bicycle", "apple")

#: Analogies: (a, b, c, expected d, what it tests); the last fails on purpose
ANALOGY_EXAMPLES = (
    ("man", "king", "woman", "queen", "gender offset: the classic"),
    ("paris", "france", "tokyo", "japan", "capital → country"),
    ("walk", "walked", "run", "ran", "present → past tense, irregular verb"),
    ("finger", "hand", "leaf", "tree", "part → whole: where it fails"),
)
ANALOGY_MODEL = "glove-6b-50d"

#: Explore: 35 news articles from each of the 9 outlets (315), unchunked, read by MiniLM
EXPLORE_DATASET, EXPLORE_PER_LABEL, EXPLORE_COLLECTION, EXPLORE_MODEL = "news", 35, "news-demo", "minilm"
EXPLORE_VIEW = {  # as the collection's last view: the map and clusters the demo shows
    "projection": {"method": "umap", "dims": 2, "n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "perplexity": 30.0,
                   "seed": 42, "parallel": False},
    "clusters": {"method": "kmeans", "k": 9, "seed": 42},
    "colour": "label",
}


def explore_demo_collection(progress: Callable[[int, int], None] | None = None) -> str:
    """The Explore demo's collection, ingested once (later calls find it and encode nothing);
    returns its Chroma name."""
    return demo_collection(EXPLORE_DATASET, EXPLORE_PER_LABEL, EXPLORE_COLLECTION, EXPLORE_MODEL, progress)


def demo_collection(dataset: str, per_label: int | None, collection: str, model: str,
                    progress: Callable[[int, int], None] | None = None, *, sample: int | None = None, seed: int = 0) -> str:
    """The first ``per_label`` unchunked rows of each label of a built-in text dataset (or a
    seeded random ``sample`` of its rows) as ``collection``, ingested once with ``model``; returns
    its Chroma name."""
    from embedlab.ingest import dataset_records, ingest_records
    from embedlab.store import open_store

    store = open_store()
    for info in store.collections():
        if info.dataset == collection and info.backend == model and info.complete:
            return info.name
    records = dataset_records(dataset, None, chunk_size=0, overlap=0, per_label=per_label, sample=sample, seed=seed)
    report = ingest_records(collection, model, records, source=f"dataset:{dataset}", chunk_size=0,
                            overlap=0, progress=progress, store=store, kept=True)
    return report.collection


#: Compression: 25 health-news tweets of each of the 16 accounts (400, short: quick to encode) with MiniLM
COMPRESSION_DATASET, COMPRESSION_PER_LABEL, COMPRESSION_COLLECTION, COMPRESSION_MODEL = "healthtweets", 25, "tweets-demo", "minilm"


def compression_demo_collection(progress: Callable[[int, int], None] | None = None) -> str:
    """The Compression demo's collection (ingested once); returns its Chroma name."""
    return demo_collection(COMPRESSION_DATASET, COMPRESSION_PER_LABEL, COMPRESSION_COLLECTION, COMPRESSION_MODEL, progress)


#: Compare: a seeded random sample of 300 health-news tweets (every account, June 2011 to April 2015),
#: read by MiniLM and by the multilingual USE (two models, one corpus); the MiniLM collection split by
#: the tweets' date at 2014-07-01 (two periods, one model: Ebola's share triples in the second)
COMPARE_DATASET, COMPARE_SAMPLE, COMPARE_SEED, COMPARE_COLLECTION = "healthtweets", 300, 0, "tweets-sample"
COMPARE_MODELS = ("minilm", "use-multilingual")
COMPARE_SPLIT_COLUMN, COMPARE_SPLIT_AT = "date", "2014-07-01"


def compare_demo_collections(progress: Callable[[str], Callable[[int, int], None] | None] | None = None) -> tuple[str, str]:
    """The Compare demo's two collections, the same tweets read by each of ``COMPARE_MODELS``
    (ingested once; ``progress(model)`` gives each ingest its progress callback); returns their
    Chroma names, MiniLM's first."""
    first, second = (demo_collection(COMPARE_DATASET, None, COMPARE_COLLECTION, model, progress(model) if progress else None,
                                     sample=COMPARE_SAMPLE, seed=COMPARE_SEED) for model in COMPARE_MODELS)
    return first, second


#: Images: queries ConSE gets right on the gallery, then one it cannot (no ImageNet class)
IMAGES_QUERIES = {"a cat": "chelsea", "a cup of coffee": "coffee", "a rocket launch": "rocket", "a horse": "horse",
                  "a photographer with a camera": "camera", "a brick wall": "brick", "a motorcycle": "motorcycle",
                  "a flower": "flower"}
IMAGES_FAILURE = ("the moon", "moon")
#: the digits map of the demo: the first 500 of scikit-learn's digits, EfficientNet-Lite0 features
IMAGES_DIGITS, IMAGES_DIGITS_LIMIT, IMAGES_DIGITS_COLLECTION = "gallery-digits", 500, "digits-demo"
IMAGES_MAP_BACKEND = "efficientnet-lite0"


def images_digits_collection(progress: Callable[[int, int], None] | None = None) -> str:
    """The demo's digits collection (ingested once); returns its collection name."""
    from embedlab import datasets
    from embedlab.images.store import find_collection, ingest_images
    from embedlab.store import open_store

    store = open_store()
    found = find_collection(IMAGES_DIGITS_COLLECTION, IMAGES_MAP_BACKEND, store)
    if found is None or not found.complete:
        items = datasets.images(IMAGES_DIGITS)[:IMAGES_DIGITS_LIMIT]
        ingest_images(IMAGES_DIGITS_COLLECTION, IMAGES_MAP_BACKEND, items, source=f"dataset:{IMAGES_DIGITS}", progress=progress,
                      store=store)
    return IMAGES_DIGITS_COLLECTION
