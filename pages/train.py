"""Train: word vectors from a corpus, subwords for unseen words, node embeddings, and uploads."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.backends import backend_names, catalogue, get_word_vectors
from embedlab.training import (
    ALGORITHMS,
    ARCHITECTURES,
    DOC_ARCHITECTURES,
    TRAIN_LIMITS,
    NodeEmbedding,
    WordEmbeddingTrainer,
    builtin_graph,
    corpus_names,
    embed_builtin_graph,
    embed_graph,
    fit_word_vectors,
    graph_names,
    group_separation,
    group_separation_note,
    parse_edge_list,
    similar_documents,
    unseen_word_reports,
)
from embedlab.ui import url_state
from embedlab.ui.feedback import plain, progress_reporter, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.train_view import (
    LEE_PAIR,
    fasttext_models,
    node_vectors_bytes,
    saved_models_table,
    upload_word_vectors,
)
from embedlab.ui.uploads import kept_upload
from embedlab.ui.words_view import node_map_figure, word_models
from embedlab.wordvec_upload import FORMATS, WORDVEC_LIMITS, word2vec_file

CORPORA, GRAPHS = corpus_names(), graph_names()
DEFAULT_DOCS = {"lee": 300, "news": 400, "healthtweets": 20_000}

EXPLANATION = """
**Word2Vec** learns a vector per word by predicting words from their neighbours within a
*window*: **skip-gram** predicts the context from the word (better for rare words), **CBOW**
the word from its averaged context (faster). *Negative sampling* contrasts each true pair with
a few random words. **FastText** adds vectors for character n-grams (`<pl`, `pla`, …, `ers>`),
so it can build a vector for a word it never saw; **Doc2Vec** also learns a vector per document:
PV-DM predicts a word from its context plus the document vector, PV-DBOW predicts the
document's words from the document vector alone (here it trains skip-gram word vectors too).

**What to expect.** The built-in corpora are tiny next to GloVe's 6 billion tokens, so
neighbours are topical rather than precise (in Lee, *government*'s neighbours are words from the
same news stories). More epochs and a larger corpus help; the same **seed** with **workers = 1**
gives exactly the same vectors again. A trained model is saved and becomes available on every
word page (Similarity, Analogies, Evaluate) under its `trained:` name; download it in word2vec
text format to use elsewhere.

**Node embeddings.** A random walk over a graph is a "sentence" of nodes; Word2Vec on many
walks places nodes that share neighbourhoods close together (DeepWalk). node2vec biases the
walk: a small **p** makes walks return to where they came from, a small **q** pushes them
outward. The map colours nodes by the graph's known groups — the karate club's two factions
after its split — and **link prediction** hides 20% of the edges, trains on the rest, and asks
whether hidden edges get higher cosine than random non-edges (ROC AUC 0.5 = chance).
"""

# widget key -> estimator parameter; the defaults are the estimators' own (one place, as in the CLI)
TRAINER, NODES = WordEmbeddingTrainer(), NodeEmbedding()
TRAINER_WIDGETS = {"tr_dim": "vector_size", "tr_window": "window", "tr_min_count": "min_count", "tr_epochs": "epochs",
                   "tr_negative": "negative", "tr_seed": "seed", "tr_workers": "workers", "tr_min_n": "min_n", "tr_max_n": "max_n"}
NODE_WIDGETS = {"tr_walks": "walks_per_node", "tr_walk_length": "walk_length", "tr_p": "p", "tr_q": "q",
                "tr_node_dim": "vector_size", "tr_node_epochs": "epochs", "tr_node_window": "window",
                "tr_node_negative": "negative", "tr_node_seed": "seed"}


def demo() -> dict[str, str | int | float | bool]:
    """Word2Vec on Lee, then DeepWalk on the karate club, both run straight away."""
    st.session_state.update({"tr_train_now": True, "tr_nodes_now": True})
    return {"tr_algorithm": "word2vec", "tr_corpus": "lee", "tr_sg": "skip-gram", "tr_dim": 50, "tr_window": 5, "tr_min_count": 2,
            "tr_epochs": 10, "tr_negative": 5, "tr_seed": 0, "tr_workers": 1, "tr_docs": 300, "tr_oov_word": "airplanes",
            "tr_oov_shown": True, "tr_graph": "karate", "tr_p": 1.0, "tr_q": 1.0, "tr_node_seed": 0}


def corpus_changed() -> None:
    st.session_state["tr_docs"] = DEFAULT_DOCS.get(st.session_state["tr_corpus"], 1000)


word_models()  # registers saved uploaded/trained models once per server process
frame = page_frame(
    "train",
    defaults={"tr_algorithm": TRAINER.algorithm, "tr_corpus": "lee", "tr_sg": "skip-gram", "tr_dm": "PV-DM", "tr_docs": 300,
              **{key: getattr(TRAINER, param) for key, param in TRAINER_WIDGETS.items()},
              "tr_oov_word": "airplanes", "tr_graph": "karate", "tr_held_out": 0.2, "tr_model": "", "tr_nodes_shown": False, "tr_oov_shown": False,
              "tr_text_file": "", "tr_edges_file": "",
              **{key: getattr(NODES, param) for key, param in NODE_WIDGETS.items()}},
    choices={"tr_algorithm": list(ALGORITHMS), "tr_corpus": list(CORPORA) + ["upload"], "tr_sg": list(ARCHITECTURES),
             "tr_dm": list(DOC_ARCHITECTURES), "tr_graph": list(GRAPHS) + ["upload"]},
    caption="Train word vectors and node embeddings here, or bring your own word vectors; every result becomes a model on the word pages.",
    explanation=EXPLANATION,
    explanation_title="What training does and what to expect",
    demo=demo,
    demo_help="Train Word2Vec on the Lee corpus and DeepWalk on the karate club",
)

words_tab, oov_tab, nodes_tab, upload_tab = st.tabs(["Word vectors", "Unseen words (FastText)", "Node embeddings", "Upload word vectors"])

with words_tab:
    row = st.columns(4)
    algorithm = row[0].selectbox("Algorithm", list(ALGORITHMS), key="tr_algorithm")
    if algorithm == "doc2vec":
        row[1].radio("Architecture", ["PV-DM", "PV-DBOW"], key="tr_dm", horizontal=True,
                     help="PV-DM: context words + document predict a word; PV-DBOW: the document predicts its words")
    else:
        row[1].radio("Architecture", ["skip-gram", "CBOW"], key="tr_sg", horizontal=True,
                     help="skip-gram: a word predicts its context (better for rare words); CBOW: the context predicts the word")
    corpus = row[2].selectbox("Corpus", list(CORPORA) + ["upload"], key="tr_corpus", on_change=corpus_changed,
                              format_func=lambda c: "your text file" if c == "upload" else c)
    url_state.number_input(row[3], "Documents (first N)", 10, TRAIN_LIMITS.max_documents, step=100, key="tr_docs")
    st.caption(CORPORA.get(corpus, f"A UTF-8 text file, one document per line, up to {TRAIN_LIMITS.max_upload_bytes // 2**20} MB "
                                   f"and {TRAIN_LIMITS.max_tokens:,} tokens."))
    text_file = st.file_uploader("Text file (one document per line)", type=["txt"], key="tr_text") if corpus == "upload" else None
    uploaded_text = kept_upload("train", text_file, "tr_text_file", what="text file") if corpus == "upload" else None
    if algorithm == "fasttext":
        ngram = st.columns(4)
        url_state.number_input(ngram[0], "Shortest n-gram (min_n)", 1, 10, key="tr_min_n")
        url_state.number_input(ngram[1], "Longest n-gram (max_n)", 1, 10, key="tr_max_n")
    knobs = st.columns(7)
    url_state.slider(knobs[0], "Dimension", 10, TRAIN_LIMITS.max_dim, step=10, key="tr_dim")
    url_state.slider(knobs[1], "Window", 1, 15, key="tr_window")
    url_state.number_input(knobs[2], "min_count", 1, 100, key="tr_min_count")
    url_state.slider(knobs[3], "Epochs", 1, TRAIN_LIMITS.max_epochs, key="tr_epochs")
    url_state.slider(knobs[4], "Negative samples", 1, 20, key="tr_negative")
    url_state.number_input(knobs[5], "Seed", 0, 2**31 - 1, key="tr_seed")
    knobs[6].radio("Workers", [1, 2], key="tr_workers", horizontal=True, help="1 = exactly reproducible")

    train_now = st.button("Train", type="primary", key="tr_train") or st.session_state.pop("tr_train_now", False)
    if train_now:
        with user_errors():
            if corpus == "upload" and uploaded_text is None:
                st.error("Upload a text file first, or pick a built-in corpus.")
                st.stop()
            fitted = fit_word_vectors(
                algorithm, corpus, text=uploaded_text[0] if uploaded_text is not None else None,
                text_name=uploaded_text[1] if uploaded_text is not None else "upload",
                max_documents=int(st.session_state["tr_docs"]), architecture=st.session_state["tr_sg"],
                doc_architecture=st.session_state["tr_dm"], progress=progress_reporter(f"Training {algorithm}, epochs"),
                **{param: int(st.session_state[key]) for key, param in TRAINER_WIDGETS.items()},
            )
            trainer = fitted.trainer
            trainer.to_backend()
            st.session_state["tr_last"] = trainer.report_.as_dict()
            url_state.remember("train", tr_model=trainer.report_.name)
            st.session_state["tr_doc2vec"] = (trainer.model_, fitted.documents) if algorithm == "doc2vec" else None

    last = st.session_state.get("tr_last")
    linked = st.session_state.get("tr_model", "")
    if (not last or last.get("name") != linked) and linked:
        note = catalogue().saved.note(linked)  # a link to a trained model: its saved report
        if note is not None and note.details and linked in backend_names():
            last = note.details
        else:
            st.warning(plain(f"The model {linked} of this link is not on this server (removed, or trained elsewhere)."))
            last = None
    if last:
        with user_errors():
            st.success(f"Trained **{last['name']}**: {last['vocabulary']:,} words from {last['documents']:,} documents"
                       f" ({last['tokens']:,} tokens), seed {last['seed']}. It is now a model on every word page.")
            cols = st.columns([2, 3])
            cols[0].dataframe(pd.DataFrame({"epoch": range(1, len(last["epoch_seconds"]) + 1), "seconds": last["epoch_seconds"]}),
                              hide_index=True, key="tr_epochs_table")
            st.download_button("Download (word2vec text format)", data=word2vec_file(last["name"]),
                               file_name=f"{last['name'].replace(':', '_')}.txt", mime="text/plain", key="tr_download")
            model = get_word_vectors(last["name"])
            probe = cols[1].text_input("Nearest neighbours of", value="government", key="tr_probe").strip().lower()
            if probe and probe in model:
                cols[1].dataframe(pd.DataFrame(model.neighbors(probe, 10), columns=["word", "cosine"]),
                                  hide_index=True, key="tr_neighbours")
            elif probe:
                cols[1].info(f"'{plain(probe)}' is not among the {model.vocab_size:,} words of this model; try another word.")
            if st.session_state.get("tr_doc2vec") and last["algorithm"] == "doc2vec":
                doc_model, documents = st.session_state["tr_doc2vec"]
                number = st.number_input("Documents nearest to document number", 0, len(documents) - 1, 0, key="tr_doc")
                st.caption(plain("Document " + str(number) + ": " + " ".join(documents[int(number)][:40]) + " …"))
                st.dataframe(pd.DataFrame(similar_documents(doc_model, documents, int(number)),
                                          columns=["document", "cosine", "first words"]), hide_index=True, key="tr_docs_nn")
    else:
        st.info("Pick a corpus and press **Train** (Lee, 10 epochs: a few seconds).")

with oov_tab:
    st.markdown("FastText and Word2Vec trained on the Lee corpus with the same settings (50-d, 10 epochs, seed 0), "
                "or a FastText model you trained. Type a word that is **not** in the corpus.")
    left, right = st.columns([2, 1])
    word = left.text_input("An unseen word", key="tr_oov_word")
    fasttext_choice = right.selectbox("FastText model", [LEE_PAIR, *fasttext_models()], key="tr_oov_model")
    if st.button("Compare FastText and Word2Vec on this word", key="tr_oov_go",
                 help="trains the Lee pair the first time (about 10 s), then answers at once"):
        url_state.remember("train", tr_oov_shown=True)
    with user_errors():
        if word.strip() and st.session_state.get("tr_oov_shown"):
            fasttext_report, word2vec_report = unseen_word_reports(word, None if fasttext_choice == LEE_PAIR else fasttext_choice)
            left, right = st.columns(2)
            with left:
                st.subheader("FastText")
                st.caption(plain(fasttext_report.message))
                st.markdown("Character n-grams: " + " ".join(f"`{g}`" if "`" not in g else plain(g) for g in fasttext_report.ngrams[:60])
                            + (" …" if len(fasttext_report.ngrams) > 60 else ""))
                st.dataframe(pd.DataFrame(fasttext_report.neighbors, columns=["neighbour", "cosine"]), hide_index=True, key="tr_oov_ft")
            with right:
                st.subheader("Word2Vec")
                if word2vec_report.neighbors:
                    st.caption("in the vocabulary")
                    st.dataframe(pd.DataFrame(word2vec_report.neighbors, columns=["neighbour", "cosine"]), hide_index=True, key="tr_oov_w2v")
                else:
                    st.warning(plain(f"No vector for '{word2vec_report.word}': {word2vec_report.message}"))

with nodes_tab:
    row = st.columns(4)
    graph_name = row[0].selectbox("Graph", list(GRAPHS) + ["upload"], key="tr_graph",
                                  format_func=lambda g: "your edge list" if g == "upload" else g)
    url_state.number_input(row[1], "p (return)", 0.01, 100.0, step=0.25, key="tr_p", help="1 and q = 1: DeepWalk")
    url_state.number_input(row[2], "q (in-out)", 0.01, 100.0, step=0.25, key="tr_q")
    url_state.slider(row[3], "Held-out edges", 0.05, 0.5, step=0.05, key="tr_held_out")
    knobs = st.columns(7)
    url_state.slider(knobs[0], "Walks per node", 1, 50, key="tr_walks")
    url_state.slider(knobs[1], "Walk length", 5, 80, key="tr_walk_length")
    url_state.slider(knobs[2], "Dimension ", 4, 128, key="tr_node_dim")
    url_state.slider(knobs[3], "Window ", 1, 15, key="tr_node_window", help="how many steps apart two nodes of a walk still count as context")
    url_state.slider(knobs[4], "Negative samples ", 1, 20, key="tr_node_negative")
    url_state.slider(knobs[5], "Epochs ", 1, 30, key="tr_node_epochs")
    url_state.number_input(knobs[6], "Seed ", 0, 2**31 - 1, key="tr_node_seed")
    st.caption(GRAPHS.get(graph_name, f"Edge list: 'source target [group]' per line, up to {TRAIN_LIMITS.max_nodes:,} nodes"
                                      f" and {TRAIN_LIMITS.max_edges:,} edges."))
    edges_upload = st.file_uploader("Edge list", type=["txt", "csv", "tsv"], key="tr_edges") if graph_name == "upload" else None
    edges_file = kept_upload("train", edges_upload, "tr_edges_file", what="edge list") if graph_name == "upload" else None
    nodes_now = st.button("Embed the graph", type="primary", key="tr_embed") or st.session_state.pop("tr_nodes_now", False)
    if nodes_now:
        with user_errors():
            if graph_name == "upload" and edges_file is None:
                st.error("Upload an edge list first, or pick a built-in graph.")
                st.stop()
            graph = parse_edge_list(edges_file[0]) if edges_file is not None else builtin_graph(graph_name)
            params = {param: type(getattr(NODES, param))(st.session_state[key]) for key, param in NODE_WIDGETS.items()}
            if edges_file is None:
                result = embed_builtin_graph(graph_name, held_out=float(st.session_state["tr_held_out"]), **params)
            else:
                result = embed_graph(graph, held_out=float(st.session_state["tr_held_out"]),
                                     progress=progress_reporter("Node embedding, epochs"), **params)
            st.session_state["tr_nodes"] = (graph_name, result, list(graph.edges))
            url_state.remember("train", tr_nodes_shown=True)
    elif st.session_state.get("tr_nodes_shown") and not st.session_state.get("tr_nodes") and (graph_name != "upload" or edges_file):
        with user_errors():  # a link to node-embedding results: the same seeded run again (kept in memory)
            params = {param: type(getattr(NODES, param))(st.session_state[key]) for key, param in NODE_WIDGETS.items()}
            if edges_file is None:
                result = embed_builtin_graph(graph_name, held_out=float(st.session_state["tr_held_out"]), **params)
                edges = list(builtin_graph(graph_name).edges)
            else:  # the kept edge list, embedded again with the same seed
                graph = parse_edge_list(edges_file[0])
                result = embed_graph(graph, held_out=float(st.session_state["tr_held_out"]),
                                     progress=progress_reporter("Node embedding, epochs"), **params)
                edges = list(graph.edges)
            st.session_state["tr_nodes"] = (graph_name, result, edges)
    if st.session_state.get("tr_nodes"):
        name, result, edges = st.session_state["tr_nodes"]
        metrics = st.columns(4)
        metrics[0].metric("Method", result.method)
        metrics[1].metric("Link prediction ROC AUC", "—" if result.auc is None else f"{result.auc:.3f}",
                          help=f"{result.held_out} held-out edges vs as many non-edges; 0.5 = chance"
                          + (f". Not computed: {result.auc_note}" if result.auc is None and result.auc_note else ""))
        separation = group_separation(result)
        metrics[2].metric("Group separation", "—" if separation is None else f"{separation:+.3f}",
                          help="mean cosine within groups minus across groups"
                          + (f". Not computed: {group_separation_note(result)}" if separation is None else ""))
        metrics[3].metric("Seed", str(result.params.get("seed")))
        st.plotly_chart(node_map_figure(result, edges, f"{name}: PCA of {result.method} node vectors, coloured by group"),
                        key="tr_node_map")
        st.download_button("Download node vectors (word2vec text format)", data=node_vectors_bytes(result),
                           file_name=f"{name}-{result.method}-nodes.txt", mime="text/plain", key="tr_node_download")

with upload_tab:
    server_cap = int(st.get_option("server.maxUploadSize"))
    st.markdown(
        "Bring word vectors trained elsewhere: **word2vec** text or binary, or **GloVe** text (no header), optionally"
        f" **gzip**-compressed. The upload itself can be up to {min(server_cap, WORDVEC_LIMITS.max_bytes // 2**20)} MB"
        f" on this server (gzip helps); what it holds: {WORDVEC_LIMITS.describe()}."
        " Pickled gensim models (`.model`, `.kv`) are refused: they can run code when loaded."
    )
    fmt = st.selectbox("Format", list(FORMATS), key="tr_upload_format", help="auto: detected from the header and bytes")
    vectors_file = st.file_uploader("Word-vector file", key="tr_vectors_file")
    if vectors_file is not None:
        with user_errors():
            report = upload_word_vectors(vectors_file.file_id, vectors_file.getvalue(), vectors_file.name, fmt)
            if report.name in backend_names():
                st.success(f"Added **{plain(report.name)}**: {report.words:,} words, {report.dim}-d ({report.format})."
                           " It is now a model on every word page.")
            else:
                st.info(f"{plain(report.name)} was removed. Upload the file again to add it back.")
            for message in report.warnings:
                st.warning(plain(message))
    table = saved_models_table()
    if not table.empty:
        st.subheader("Uploaded, trained and debiased models")
        st.dataframe(table, hide_index=True, key="tr_models")
        doomed = st.selectbox("Remove a model", table["name"].tolist(), key="tr_remove_model")
        sure = st.checkbox(f"Yes, remove {doomed} from this server and delete its saved file", key="tr_remove_sure")
        if st.button("Remove model", disabled=not sure, key="tr_remove"):
            with user_errors():
                catalogue().remove(doomed)
                if (st.session_state.get("tr_last") or {}).get("name") == doomed:
                    del st.session_state["tr_last"]
                if st.session_state.get("tr_model") == doomed:
                    url_state.remember("train", tr_model="")
                st.session_state["tr_removed"] = doomed
                st.rerun()
    if removed := st.session_state.pop("tr_removed", None):
        st.success(f"Removed {removed}.")

frame.publish()
