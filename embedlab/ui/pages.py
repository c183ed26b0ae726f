"""The one list of pages: it drives ``app.py``'s navigation, the Home page's tour, the README
check and the test that opens every page and runs its guided demo. Adding a page is one entry
here plus its file in ``pages/``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page: its script, how it is listed, and what it shows (one line, for the tour)."""

    file: str
    title: str
    icon: str
    section: str
    url_path: str
    description: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "Home", "🏠", "EmbedLab", "home",
             "what embeddings are, a tour, and the model status table (kind, dimension, device, available)"),
    PageSpec("pages/similarity.py", "Similarity", "🔗", "Explore", "similarity",
             "cosine heatmaps of up to 50 words or 200 sentences, each word's nearest neighbours, the most and least"
             " similar pairs, and two models side by side with the Spearman ρ of their pairwise similarities"),
    PageSpec("pages/explore.py", "Explore maps", "🗺️", "Explore", "explore",
             "bring a built-in corpus or your own file into Chroma, map every point with UMAP/PCA/t-SNE (2-D and 3-D),"
             " cluster, search, select, and export"),
    PageSpec("pages/images.py", "Image-text search", "🖼️", "Search", "images",
             "find pictures by text or by picture (ConSE offline, CLIP when weights exist, EfficientNet-Lite0 likeness),"
             " zero-shot labels with accuracy and a confusion matrix, image maps coloured by label, safe image/ZIP upload"),
    PageSpec("pages/analogies.py", "Analogies", "🧩", "Words", "analogies",
             "a : b :: c : ? with 3CosAdd or 3CosMul, the expected answer's rank, a PCA picture of the two offsets,"
             " batch accuracy with the misses"),
    PageSpec("pages/evaluate.py", "Evaluate", "📏", "Words", "evaluate",
             "Google and MSR analogies (per section, semantic/syntactic, top-N vocabulary) and six word-similarity"
             " benchmarks, equal to gensim's figures"),
    PageSpec("pages/train.py", "Train", "🏋️", "Words", "train",
             "Word2Vec, FastText and Doc2Vec on built-in or uploaded text, FastText vectors for unseen words,"
             " DeepWalk/node2vec with link prediction, safe upload of word2vec/GloVe files"),
    PageSpec("pages/bias.py", "Bias probes", "⚖️", "Probe", "bias",
             "WEAT with permutation p-values beside the paper's figures, the gender direction and direct bias, SEAT for"
             " sentence models, hard debiasing with before/after figures"),
    PageSpec("pages/recommend.py", "Recommendation", "🎬", "Probe", "recommend",
             "MovieLens 100k or your interactions: ALS/BPR/SVD, content and hybrid recommendations with \"because you"
             " liked\", a cold-start profile, a joint map of users and items, dot vs cosine, leave-last-out HR@10/NDCG@10"),
    PageSpec("pages/contextual.py", "Contextual vs static", "🧬", "Words", "contextual",
             "one word in several sentences: its contextual vectors (MiniLM's pooled word pieces), their cosine matrix and a"
             " map of the senses, against GloVe's single vector and its neighbours; word order under mean word vectors and a"
             " sentence model"),
    PageSpec("pages/crosslingual.py", "Cross-lingual search", "🌍", "Search", "crosslingual",
             "one query over English, German, Spanish and Dutch parliament speeches with each hit's language, per-language"
             " counts, multilingual USE against MiniLM, and translation-pair accuracy@1 both ways"),
    PageSpec("pages/downstream.py", "Downstream", "🎯", "Judge", "downstream",
             "logistic regression on each representation of a labelled dataset (news, tweets, speeches, your file or"
             " collection): stratified k-fold accuracy and macro-F1 beside a TF-IDF baseline, confusion matrices, and"
             " whether word benchmarks rank the representations alike"),
    PageSpec("pages/finetune.py", "Fine-tune", "🔧", "Judge", "finetune",
             "fine-tune MiniLM on a labelled dataset (MNRL on same-label pairs or batch-hard triplet, sentence-transformers'"
             " trainer) into a new text model, with before/after accuracy and retrieval on a held-out split and two maps"),
    PageSpec("pages/compression.py", "Compression", "🗜️", "Judge", "compression",
             "float16, int8, binary and PCA codes of a collection with and without float32 re-scoring: bytes per vector,"
             " recall@10 against exact search and downstream accuracy in one table and a chart; dot product vs cosine on"
             " raw GloVe vectors"),
    PageSpec("pages/compare.py", "Compare", "🔀", "Judge", "compare",
             "two models on one corpus (per-row agreement of the k nearest neighbours, linear CKA, Spearman ρ of pairwise"
             " similarities, two linked maps, the clusters of one on the other) and two corpora or two periods under one"
             " model (centroid distance, MMD with a permutation p-value, a domain classifier's AUC, which topics grew or"
             " vanished)"),
)


def sections() -> dict[str, list[PageSpec]]:
    """The pages grouped by section, in list order (the sidebar's layout)."""
    grouped: dict[str, list[PageSpec]] = {}
    for spec in PAGES:
        grouped.setdefault(spec.section, []).append(spec)
    return grouped
