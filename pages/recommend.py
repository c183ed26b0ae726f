"""Recommendation: users and items in one space, nearness as preference. Pick a user or build a
profile, get top-k with reasons, more like this, a joint map, dot vs cosine, and the evaluation."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.links import keep_file
from embedlab.recommend.data import (
    INTERACTION_LIMITS,
    MOVIELENS,
    Interactions,
    movielens_100k,
)
from embedlab.recommend.evaluate import DEFAULT_SPECS, SPLIT_SEED, evaluate_all
from embedlab.recommend.explain import dot_vs_cosine
from embedlab.recommend.models import (
    FACTOR_METHODS,
    ModelSpec,
    content_announcement,
    fitted_model,
    spec_for,
)
from embedlab.recommend.queries import (
    Recommendations,
    more_like_this,
    recommend,
    recommend_each,
    recommend_profile,
)
from embedlab.ui import url_state
from embedlab.ui.feedback import plain, store_or_stop, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.recommend_view import (
    METHOD_NAMES,
    evaluation_chart,
    evaluation_frame,
    joint_map,
    uploaded,
)

METHODS = ["als", "bpr", "svd", "content", "hybrid"]
DEMO_USER = "97"  # 63 ratings, a third of them 4-5 stars for science fiction
DEMO_PROFILE = "50,172,181"  # Star Wars, The Empire Strikes Back, Return of the Jedi
ALS_DEFAULTS = ModelSpec()  # the recency inputs start from the model's own defaults

EXPLANATION = """
**How it works.** Every user and every movie is a vector. *Matrix factorisation* (ALS, BPR from
`implicit`; truncated SVD) learns them from who watched what, so that a user's vector has a large
dot product with the movies they watched. ALS also weighs each user's *latest* ratings more (a
recency boost that halves with every few later ratings): tastes drift and people rate in sessions,
so what someone rated last says most about what they rate next. *Content* vectors come from MiniLM reading the title,
year and genres; a user is the rating-weighted mean of the movies they rated above their own
average. The *hybrid* adds the two scores (each divided by its spread) with the weight you set.
Item vectors live in Chroma — factor vectors in an inner-product collection, content vectors in a
cosine one — and a recommendation is one query there with the user's vector, leaving out what
they have seen. "Because you liked" lists the user's own movies whose vectors point most nearly
the same way as the recommended one.

**Evaluation.** Each user's last rating is hidden (by timestamp; when several movies share the
last second, one of them is drawn at random with a fixed split seed, 0: nothing in the data
orders them, and a fixed rule such as "highest movie id" would favour some methods), every method is trained on the rest and ranks *every*
movie the user has not seen. HR@10: how often the hidden movie is in the top 10; NDCG@10 also
rewards ranking it higher; coverage: how much of the catalogue appears in anyone's top 10. No
sampled negatives: ranking the hidden movie among 100 random ones inflates every figure and can
reorder methods (Krichene & Rendle, 2020). Checked against ir-measures on the same run files.
"""



def demo() -> dict[str, str | int | float | bool]:
    """A user with a clear taste for science fiction, the ALS recommendations, and the table."""
    return {"rec_source": MOVIELENS, "rec_mode": "user", "rec_user": DEMO_USER, "rec_method": "als", "rec_k": 10,
            "rec_weight": 0.9, "rec_factors": 64, "rec_seed": 42, "rec_item": "50", "rec_eval": True, "rec_genre": "Sci-Fi",
            "rec_reg": 0.0, "rec_iters": 0, "rec_recency": ALS_DEFAULTS.recency_boost, "rec_half_life": ALS_DEFAULTS.recency_half_life}


frame = page_frame(
    "recommend",
    defaults={"rec_file": "", "rec_items": "", "rec_source": MOVIELENS, "rec_mode": "user", "rec_user": "1", "rec_profile": DEMO_PROFILE, "rec_method": "als",
              "rec_k": 10, "rec_weight": 0.9, "rec_factors": 64, "rec_seed": 42, "rec_item": "50", "rec_eval": False,
              "rec_genre": "", "rec_reg": 0.0, "rec_iters": 0, "rec_recency": ALS_DEFAULTS.recency_boost,
              "rec_half_life": ALS_DEFAULTS.recency_half_life},
    choices={"rec_source": [MOVIELENS, "upload"], "rec_mode": ["user", "profile"], "rec_method": METHODS},
    caption="Embeddings as recommenders: users and items in one space, nearness as preference — on MovieLens 100k or your"
            " own interactions.",
    explanation=EXPLANATION,
    explanation_title="How recommendations and the evaluation work",
    demo=demo,
    demo_help="A science-fiction fan: what each method recommends, and the evaluation table",
)

source = st.radio("Data", [MOVIELENS, "upload"], key="rec_source", horizontal=True,
                  format_func={MOVIELENS: "MovieLens 100k (943 users, 1,682 movies)", "upload": "your interactions file"}.get)
data: Interactions | None = None
with user_errors():
    if source == "upload":
        st.caption(f"Interactions: CSV, TSV or JSONL with user and item columns, optional rating and timestamp; items (optional):"
                   f" item, title and any text columns. Up to {INTERACTION_LIMITS.max_megabytes} MB and"
                   f" {INTERACTION_LIMITS.max_rows:,} rows each.")
        u1, u2 = st.columns(2)
        file = u1.file_uploader("Interactions file", type=["csv", "tsv", "jsonl"], key="rec_upload_file")
        items_file = u2.file_uploader("Items file (optional)", type=["csv", "tsv", "jsonl"], key="rec_items_upload_file")
        if file is not None:  # kept on the server by content: the view survives a reload and opens from its link
            url_state.remember("recommend", rec_file=keep_file(file.getvalue(), file.name),
                               rec_items=keep_file(items_file.getvalue(), items_file.name) if items_file else "")
        data, file_name, missing = uploaded(str(st.session_state.get("rec_file", "")), str(st.session_state.get("rec_items", "")))
        if missing:
            st.warning(plain(missing))
        elif data is not None and file is None:
            st.caption(plain(f"Using the file uploaded before: {file_name}"))
    else:
        data = movielens_100k()

if data is None:
    st.info("Upload an interactions file to start.")
    frame.publish()
    st.stop()
assert data is not None
st.caption(plain(data.describe() + "."))

users = list(data.user_ids)
items = list(data.item_ids)
titles = data.items["title"].tolist()
if st.session_state.get("rec_user") not in data.user_position:
    st.session_state["rec_user"] = users[0]
if st.session_state.get("rec_item") not in data.item_position:
    st.session_state["rec_item"] = data.item_ids[0]

c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
method = str(c1.selectbox("Method", METHODS, key="rec_method", format_func=lambda m: METHOD_NAMES.get(m, m)))
mode = c2.segmented_control("Recommend for", ["user", "profile"], key="rec_mode", required=True,
                            format_func=lambda m: {"user": "a user of the data", "profile": "a profile you build (cold start)"}[m])
k = url_state.number_input(c3, "top-k", 1, 50, key="rec_k", step=1)
seed = url_state.number_input(c4, "seed", 0, 2**31 - 1, key="rec_seed", step=1)
with st.expander("Model settings"):
    s1, s2, s3, s4, s5, s6 = st.columns(6)
    factors = url_state.number_input(s1, "factors (ALS/BPR/SVD)", 2, 256, key="rec_factors", step=8)
    regularization = url_state.number_input(s2, "regularisation (0: default)", 0.0, 100.0, key="rec_reg", step=0.01, format="%.3f")
    iterations = url_state.number_input(s3, "iterations (0: default)", 0, 1000, key="rec_iters", step=5)
    recency = url_state.number_input(s4, "ALS recency boost", 0.0, 1000.0, key="rec_recency", step=5.0, format="%.1f",
                                     help="A user's latest rating weighs 1 + this in ALS; 0: time plays no part.")
    half_life = url_state.number_input(s5, "ALS recency half-life", 0.1, 1000.0, key="rec_half_life", step=1.0, format="%.1f",
                                       help="The boost halves with every this many of the user's later ratings.")
    weight = url_state.slider(s6, "hybrid: share of the ALS score", 0.0, 1.0, key="rec_weight", step=0.05)
    st.caption("Defaults, chosen on a validation split (each user's second-to-last rating; `bench/recommend_tune.py`): ALS"
               " regularisation 1, 15 iterations, α 0.3, BM25 weights, recency boost 20 with half-life 5; BPR learning rate"
               " 0.01, regularisation 0.01, 100 iterations.")
spec = spec_for(method, factors=int(factors), seed=int(seed), weight=float(weight),
                regularization=float(regularization) or None, iterations=int(iterations) or None,
                recency_boost=float(recency), recency_half_life=float(half_life))

if mode == "user":
    user = st.selectbox("User", users, key="rec_user", help="Type to search a user id")
    profile_items: list[str] = []
else:
    profile_items = url_state.multiselect(st, f"{data.noun.capitalize()}s you like", items, key="rec_profile_pick",
                                          state="rec_profile", format_func=data.item_label)
frame.publish()

store = store_or_stop()  # recommendations are Chroma queries: a store another process holds is named here
with user_errors():
    result: Recommendations | None = None
    if method in ("content", "hybrid") or (frame.demo_on and mode == "user"):
        said = content_announcement(data, spec.text_model)
        if said:
            st.caption(plain(f"{said[:-1]} for the content vectors (the item texts)."))
    with st.spinner(f"Fitting {METHOD_NAMES[method]} and querying Chroma…"):
        if mode == "user":
            result = recommend(data, spec, str(user), int(k), store=store)
        elif profile_items:
            result = recommend_profile(data, spec, profile_items, int(k), store=store)
        else:
            st.info(f"Choose a few {data.noun}s you like to build a profile.")
    if result is not None:
        st.subheader(plain(f"Top {len(result.items)} for {'user ' + result.user if mode == 'user' else 'your profile'}"))
        st.dataframe(pd.DataFrame([{"rank": r, **data.item_cells(item.index), "score": round(item.score, 4),
                                    "because you liked": "; ".join(item.because)}
                                   for r, item in enumerate(result.items, 1)]), hide_index=True, key="rec_table")
        st.caption(plain(f"{result.label}; Chroma collection {result.collection} ({result.space} space, {result.search} search);"
                         f" {len(result.history)} seen items left out. Score: "
                         + ("cosine similarity." if result.space == "cosine" else "dot product of user and item vectors.")))
        model = fitted_model(data, spec)
        if frame.demo_on and mode == "user":
            st.markdown("**What each method recommends to this user:**")
            each = recommend_each(data, METHODS, str(user), 5, seed=int(seed), store=store)
            for column, (name, other) in zip(st.columns(len(each)), each.items(), strict=True):
                column.markdown(f"**{METHOD_NAMES[name]}**  \n" + "  \n".join(plain(i.title) for i in other.items))
            st.caption("Factor models follow what similar users watched next (popular films of the period, sequels);"
                       " content follows the words of titles and genres, so it finds more science fiction but also"
                       " obscure titles nobody watched — see its low hit rate in the table below.")

        tab_map, tab_dot, tab_more = st.tabs(["Joint map", "Dot vs cosine", "More like this"])
        with tab_map:
            genres = ["", *data.genre_names()]
            if st.session_state.get("rec_genre") not in genres:
                st.session_state["rec_genre"] = ""
            highlight = st.selectbox("Colour items by", genres, key="rec_genre",
                                     format_func=lambda g: f"{g} (items with it), else first listed genre" if g else "first listed genre") \
                if len(genres) > 1 else None  # the data has no genres: items are one colour
            profile_vector = model.profile(pd.Series(result.history).to_numpy()) if mode == "profile" else None
            joint_map(data, model, None if mode == "profile" else data.user_index(str(user)), profile_vector, result.history,
                      [i.index for i in result.items], int(seed), highlight or None)
        with tab_dot:
            if method in FACTOR_METHODS or method == "hybrid":
                vector = model.profile(pd.Series(result.history).to_numpy()) if mode == "profile" else model.user_vectors[data.user_index(str(user))]
                comparison = dot_vs_cosine(data, model, vector, pd.Series(result.history).to_numpy(), int(k))
                d1, d2 = st.columns(2)
                d1.markdown("**Dot product** (length × angle)")
                d1.dataframe(pd.DataFrame({data.noun: [titles[i] for i in comparison.dot_items],
                                           "interactions": [int(data.popularity()[i]) for i in comparison.dot_items]}),
                             hide_index=True, key="rec_dot")
                d2.markdown("**Cosine** (angle only)")
                d2.dataframe(pd.DataFrame({data.noun: [titles[i] for i in comparison.cosine_items],
                                           "interactions": [int(data.popularity()[i]) for i in comparison.cosine_items]}),
                             hide_index=True, key="rec_cos")
                st.info(comparison.explanation())
            else:
                st.info("Content vectors are unit length, so dot product and cosine rank alike: choose ALS, BPR, SVD or the"
                        " hybrid to see the difference.")
        with tab_more:
            item = st.selectbox(data.noun.capitalize(), items, key="rec_item", format_func=data.item_label)
            similar = more_like_this(data, spec, str(item), int(k))
            st.dataframe(pd.DataFrame([{**data.item_cells(s.index), "cosine": round(s.score, 4)}
                                       for s in similar]), hide_index=True, key="rec_more")
            st.caption("Item to item: the cosine of item vectors in this method's space (so a popular film's long vector"
                       " does not pull every other film towards the charts).")

st.subheader("Evaluation: leave-last-out, full ranking")
if st.button("Run the evaluation (cached)", key="rec_eval_button"):
    st.session_state["rec_eval"] = True
    url_state.remember("recommend", rec_eval=True)
if st.session_state.get("rec_eval"):
    with user_errors():
        said = content_announcement(data)
        if said:
            st.caption(plain(f"{said[:-1]} for the content method's vectors, then seven methods are fitted and ranked."))
        bar = st.progress(0.0, text="Evaluating…")

        def progress(done: int, total: int, method: str) -> None:
            bar.progress(done / total, text=f"Evaluating {METHOD_NAMES.get(method, method)}…")

        runs = evaluate_all(data, [spec_for(base.method, seed=int(seed)) for base in DEFAULT_SPECS], 10, progress)
        bar.empty()
        results = {method: run.metrics for method, run in runs.items()}
        table = evaluation_frame(results)
        st.dataframe(table, hide_index=True, key="rec_eval_table",
                     column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ("HR@10", "NDCG@10", "coverage")})
        st.plotly_chart(evaluation_chart(table), key="rec_eval_chart")
        first = next(iter(results.values()))
        st.caption(f"{first.users:,} test users, each ranking all {first.items:,} items minus their training items; model seed {int(seed)},"
                   f" split seed {SPLIT_SEED} (ties in a user's last second drawn at random);"
                   " results cached by data and settings. HR@10 and NDCG@10 agree with ir-measures on the same run files (tests).")
