"""Home: what embeddings are, a tour of the pages, and which models are ready on which device."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from embedlab.analysis.analogy import solve_analogy
from embedlab.analysis.similarity import similarity
from embedlab.backends import model_status
from embedlab.demos import HOME_SENTENCES
from embedlab.device import resolve_device
from embedlab.ui import url_state
from embedlab.ui.charts import similarity_heatmap
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.pages import PAGES
from embedlab.ui.router import ensure_router

ensure_router()

st.title("🧭 EmbedLab")
st.markdown(
    """
**Embeddings turn things into vectors so that nearness means likeness.** A word, a sentence, an
image, a user or a film becomes a list of numbers; two things a model considers alike get
vectors that point the same way, so the angle between them (cosine similarity) measures how
alike they are.

- **Words**: GloVe and word2vec give every word one vector. *king* sits near *queen*, and the
  offset *king − man* is close to *queen − woman*: analogies fall out of the geometry.
- **Sentences**: MiniLM and the multilingual USE read a whole sentence. *"The cat sat on the
  mat"* lands near *"A feline rested on the rug"* though they share no words.
- **Users and items**: matrix factorisation (ALS, BPR) puts MovieLens users and films in one
  space; a user's vector points towards the films they will like, and the dot product ranks them.

EmbedLab lets you look inside these spaces: compare, map, cluster, probe for bias — and see
how far to trust what you see.
"""
)

url_state.restore("home", defaults={"home_demo": False})


def load_demo() -> None:
    url_state.remember("home", home_demo=True)


st.button("▶ Guided demo", on_click=load_demo, help="Two small worked examples: sentences that mean the same, and king − man + woman")
# Home's plain view has nothing to share: leave its address bare. Writing "?home_demo=false" on
# every visit raced the sidebar's own history entry, and browser back then landed on Home again.
url_state.publish(["home_demo"] if st.session_state.get("home_demo") else [])
if st.session_state.get("home_demo"):
    with user_errors():
        left, right = st.columns(2)
        sentences = list(HOME_SENTENCES)
        result = similarity("minilm", sentences)
        left.plotly_chart(similarity_heatmap(result.labels, result.matrix, "MiniLM: cosine similarity of three sentences"),
                          key="home_heatmap")
        left.caption("The first two sentences share no content word, yet MiniLM puts them close (high cosine); the third,"
                     " about something else, is far from both. Open **Similarity** for your own sentences.")
        answer = solve_analogy("glove-6b-50d", "man", "king", "woman", k=3)
        right.markdown(f"**GloVe: king − man + woman ≈ {plain(answer.best or '?')}**")
        right.dataframe(pd.DataFrame([{"word": a.word, "score": round(a.score, 3)} for a in answer.answers]),
                        hide_index=True, key="home_analogy")
        right.caption("Offsets between word vectors carry meaning: the step from *man* to *king* is close to the step"
                      " from *woman* to *queen*. Open **Analogies** to try others, and see where it fails.")

st.subheader("Tour")
st.markdown(
    "| page | what it shows |\n|---|---|\n"
    + "\n".join(f"| {spec.icon} **{spec.title}** | {spec.description} |" for spec in PAGES[1:])
    + "\n\nEvery page has a **guided demo** button that loads a worked example and explains what to"
    " notice, and keeps its inputs in the URL so a view can be shared."
)

st.subheader("Models on this machine")
with user_errors():
    device = resolve_device()
    st.caption(f"Device in use for torch models: **{device}** (set `EMBEDLAB_DEVICE` to override).")
    status = pd.DataFrame([row.as_dict() for row in model_status()])
    st.dataframe(
        status[["name", "kind", "dim", "device", "available", "package", "description", "reason"]],
        hide_index=True,
        width="stretch",
        column_config={
            "available": st.column_config.CheckboxColumn("available"),
            "reason": st.column_config.TextColumn("why not"),
        },
    )
    missing = status[~status["available"]]
    if not missing.empty:
        st.warning("Some models are missing: " + ", ".join(missing["name"]) + ". See the 'why not' column.")
