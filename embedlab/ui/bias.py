"""Bias computations as the Bias page asks for them, and their charts.

The engine caches every pure result by content (``embedlab.cache.memoize``); debiasing makes a
new model, so it is never cached: it runs when asked and the page keeps its report.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from embedlab.bias.debias import DebiasReport, debias
from embedlab.bias.direct_bias import DirectBiasResult, direct_bias
from embedlab.bias.direction import (
    BiasDirection,
    Projection,
    gender_direction,
    pair_direction,
    project,
)
from embedlab.bias.seat import seat
from embedlab.bias.weat import WeatResult, comparison_rows, sign_agreement, weat
from embedlab.bias.wordsets import (
    WordSet,
    custom_test,
    library_sets,
    parse_word_list,
    parse_wordset_upload,
    weat_test,
)
from embedlab.errors import EmbedlabError
from embedlab.ui.uploads import kept_upload
from embedlab.wordrules import WORD_RULE

GROUP_COLOURS = {"X": "#1f77b4", "Y": "#d62728"}


def cached_weat(model: str, test_id: str, seed: int, permutations: int) -> WeatResult:
    """One paper test on one model (permutations are seeded, so the result is reproducible)."""
    return weat(model, weat_test(test_id), seed=seed, n_permutations=permutations)


def cached_custom_weat(
    model: str,
    sets: tuple[tuple[str, tuple[str, ...]], ...],
    seed: int,
    permutations: int,
) -> WeatResult:
    """A user's test: ``sets`` is ((name, words) for X, Y, A, B)."""
    x, y, a, b = sets
    return weat(model, custom_test(x, y, a, b), seed=seed, n_permutations=permutations)


ROLES = {"X": "Target X", "Y": "Target Y", "A": "Attribute A", "B": "Attribute B"}
TYPED = "(typed below)"
CUSTOM_DEFAULTS = {"X": "wefe:flowers", "Y": "wefe:insects", "A": "wefe:pleasant_5", "B": "wefe:unpleasant_5a"}
CustomSets = tuple[tuple[str, tuple[str, ...]], ...]


def custom_set_defaults(prefix: str) -> dict[str, str]:
    """The URL-kept keys of the four set pickers (``prefix``: the page section) and their defaults."""
    library = library_sets()
    defaults: dict[str, str] = {}
    for role in ROLES:
        defaults[f"{prefix}_set_{role}"] = CUSTOM_DEFAULTS[role] if CUSTOM_DEFAULTS[role] in library else TYPED
        defaults[f"{prefix}_typed_{role}"] = ""
    defaults[f"{prefix}_sets_file"] = ""  # an uploaded word-set file, kept on the server by content
    return defaults


def custom_set_choices(prefix: str) -> dict[str, list[str]]:
    """What a link may pick for each set: the typed words, a library set, or a set of the uploaded
    file the link (or this session) names, when this server keeps it."""
    names = [TYPED, *library_sets(), *_uploaded_sets(prefix)]
    return {f"{prefix}_set_{role}": names for role in ROLES}


def _uploaded_sets(prefix: str) -> dict[str, WordSet]:
    """The sets of the kept word-set file of ``prefix`` (named ``upload:<name>``), if any."""
    from embedlab.links import kept_file

    key = f"{prefix}_sets_file"
    file_id = str(st.session_state.get(key) or st.query_params.get(key) or "")
    kept = kept_file(file_id) if file_id else None
    if kept is None:
        return {}
    try:
        return {f"upload:{k}": v for k, v in parse_wordset_upload(*kept).items()}
    except EmbedlabError:
        return {}


def custom_set_pickers(prefix: str) -> CustomSets:
    """Four set pickers (X, Y, A, B) over the paper's and WEFE's sets, an uploaded file, or typed
    words; returns ((name, words), ...) for ``custom_test``. Widget keys start with ``prefix``."""
    library = library_sets()
    uploaded = st.file_uploader("Upload word sets (JSON {name: [words]} or lines 'name: w1, w2')", type=["json", "txt"],
                                key=f"{prefix}_upload")
    kept = kept_upload("bias", uploaded, f"{prefix}_sets_file", what="word-set file")
    if kept is not None:
        library.update({f"upload:{k}": v for k, v in parse_wordset_upload(*kept).items()})
    names = [TYPED] + list(library)
    chosen: list[tuple[str, tuple[str, ...]]] = []
    for column, (role, label) in zip(st.columns(4), ROLES.items(), strict=True):
        with column:
            key = f"{prefix}_set_{role}"
            if key not in st.session_state:
                st.session_state[key] = CUSTOM_DEFAULTS[role] if CUSTOM_DEFAULTS[role] in library else TYPED
            picked = st.selectbox(label, names, key=key)
            typed = st.text_area(f"{label} words (if typed)", key=f"{prefix}_typed_{role}", height=100, disabled=picked != TYPED,
                                 placeholder="rose, tulip, daisy",
                                 help=WORD_RULE)
            if picked == TYPED:
                chosen.append((f"{label} (typed)", tuple(parse_word_list(typed, what=label))))
            else:
                chosen.append((picked, library[picked].words))
    return tuple(chosen)


def cached_custom_seat(model: str, sets: CustomSets, templates: tuple[str, ...] | None, seed: int, permutations: int) -> WeatResult:
    """SEAT of a user's test: ``sets`` is ((name, words) for X, Y, A, B)."""
    x, y, a, b = sets
    return seat(model, custom_test(x, y, a, b), templates=list(templates) if templates else None, seed=seed, n_permutations=permutations)


def weat_over_models(models: list[str], tests: list[str], seed: int, permutations: int) -> tuple[dict[str, list[WeatResult]], dict[str, str]]:
    """Every test on every model; a model that fails (gone, broken upload) is reported, not fatal."""
    results: dict[str, list[WeatResult]] = {}
    failed: dict[str, str] = {}
    for name in models:
        try:
            results[name] = [cached_weat(name, test, seed, permutations) for test in tests]
        except EmbedlabError as error:
            failed[name] = str(error)
    return results, failed


def cached_gender_direction(model: str) -> BiasDirection:
    return gender_direction(model)


def cached_projection(model: str, words: tuple[str, ...], axis: tuple[str, str] | None) -> tuple[BiasDirection, Projection]:
    """Words on the gender axis (``axis`` None) or on the axis axis[0] − axis[1]."""
    direction = gender_direction(model) if axis is None else pair_direction(model, axis[0], axis[1])
    return direction, project(model, list(words), direction)


def cached_direct_bias(model: str, c: float, words: tuple[str, ...] | None = None, axis: tuple[str, str] | None = None) -> DirectBiasResult:
    """DirectBias_c over ``words`` (None: the neutral professions) on the gender axis or axis[0] − axis[1]."""
    direction = None if axis is None else pair_direction(model, axis[0], axis[1])
    return direct_bias(model, list(words) if words else None, c=c, direction=direction)


def cached_seat(model: str, test_id: str, templates: tuple[str, ...] | None, seed: int, permutations: int) -> WeatResult:
    return seat(model, weat_test(test_id), templates=list(templates) if templates else None, seed=seed, n_permutations=permutations)


def run_debias(model: str, out: str, analogies: bool, c: float = 1.0) -> DebiasReport:
    """Hard-debias ``model`` into the new model ``out`` (added to the catalogue and saved, so
    every page's model list shows it). Not cached: each press makes (or remakes) the model."""
    return debias(model, out, analogies=analogies, c=c)


def effect_size_chart(rows: list[dict[str, Any]], models: list[str]) -> go.Figure:
    """Grouped bars: effect size per test for each model, plus the paper's GloVe 840B column."""
    tests = [f"{row['test']}" for row in rows]
    hover = [html.escape(row["name"]) for row in rows]
    figure = go.Figure()
    figure.add_bar(
        x=tests,
        y=[row.get("paper d (GloVe 840B)") for row in rows],
        name="paper (GloVe 840B)",
        marker_color="#bbbbbb",
        customdata=hover,
        hovertemplate="test %{x}: %{customdata}<br>d = %{y:.2f}<extra>paper</extra>",
    )
    for model in models:
        figure.add_bar(
            x=tests,
            y=[row.get(f"d · {model}") for row in rows],
            name=html.escape(model),
            customdata=hover,
            hovertemplate="test %{x}: %{customdata}<br>d = %{y:.2f}<extra>" + html.escape(model) + "</extra>",
        )
    figure.update_layout(
        barmode="group",
        title="WEAT effect size d per test (missing bar = not computable)",
        xaxis_title="test",
        xaxis_type="category",
        yaxis_title="effect size d",
        height=420,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def association_chart(result: WeatResult, limit: int = 80) -> go.Figure:
    """Each target word's s(w, A, B), sorted; colour says which target set it came from."""
    items = result.sorted_associations()
    if len(items) > limit:  # keep both ends when there are many (SEAT sentences)
        items = items[: limit // 2] + items[-limit // 2 :]
    labels = [html.escape(a.word) for a in items]
    figure = go.Figure(
        go.Bar(
            x=[a.s for a in items],
            y=labels,
            orientation="h",
            marker_color=[GROUP_COLOURS.get(a.group, "#888") for a in items],
            customdata=[html.escape(result.set_names.get(a.group, a.group)) for a in items],
            hovertemplate="%{y}<br>s = %{x:.4f}<br>%{customdata}<extra></extra>",
        )
    )
    a_name = html.escape(result.set_names.get("A", "A"))
    b_name = html.escape(result.set_names.get("B", "B"))
    figure.update_layout(
        title=f"s(w, A, B): right = closer to {a_name}, left = closer to {b_name} (blue = X, red = Y)",
        height=max(320, 18 * len(items) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis_title="association s(w, A, B)",
    )
    figure.update_yaxes(autorange="reversed", type="category")
    return figure


def projection_chart(placed: Projection, positive: str, negative: str, limit: int = 30) -> go.Figure:
    """Words on an axis, sorted; with many words only the ``limit`` most extreme at each end."""
    ranked = placed.sorted()
    if len(ranked) > 2 * limit:
        ranked = ranked[:limit] + ranked[-limit:]
    figure = go.Figure(
        go.Bar(
            x=[v for _, v in ranked],
            y=[html.escape(w) for w, _ in ranked],
            orientation="h",
            marker_color=["#9467bd" if v >= 0 else "#2ca02c" for _, v in ranked],
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"projection on {html.escape(positive)} (right) – {html.escape(negative)} (left)",
        height=max(320, 18 * len(ranked) + 120),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis_title="cosine with the axis",
    )
    figure.update_yaxes(autorange="reversed", type="category")
    return figure


def variance_chart(direction: BiasDirection) -> go.Figure:
    """Explained variance ratio of the principal components of the definitional pairs."""
    ratios = list(direction.explained_variance_ratio)
    figure = go.Figure(go.Bar(x=[f"PC{i}" for i in range(1, len(ratios) + 1)], y=ratios, marker_color="#1f77b4"))
    figure.update_layout(
        title="variance explained by each principal component of the pair differences",
        height=300,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        yaxis_title="share of variance",
    )
    return figure


def before_after_chart(report: DebiasReport) -> go.Figure:
    """WEAT effect sizes before and after hard debiasing."""
    before = {r.test: r.effect_size for r in report.weat_before}
    tests = [r.test for r in report.weat_after]
    figure = go.Figure()
    figure.add_bar(x=tests, y=[before[t] for t in tests], name=html.escape(report.base))
    figure.add_bar(x=tests, y=[r.effect_size for r in report.weat_after], name=html.escape(report.out))
    figure.update_layout(
        barmode="group",
        title="WEAT effect size before and after hard debiasing",
        xaxis_title="test",
        xaxis_type="category",
        yaxis_title="effect size d",
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def weat_table(results_by_model: dict[str, list[WeatResult]]) -> list[dict[str, Any]]:
    """Rows for the all-tests table (re-exported so the page needs no engine import)."""
    return comparison_rows(results_by_model)


def sign_summary(results_by_model: dict[str, list[WeatResult]]) -> list[str]:
    """One sentence per model: how many computable tests have the paper's sign."""
    lines = []
    for model, results in results_by_model.items():
        agree, computable, total = sign_agreement(results)
        lines.append(f"**{model}**: {agree} of {computable} computable tests have the paper's sign ({total - computable} of {total} not computable).")
    return lines
