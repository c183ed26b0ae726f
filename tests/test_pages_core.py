"""AppTest of Home and Similarity: values shown, URL state, errors without tracebacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from embedlab.backends import model_status
from tests.conftest import bare_agreement, shown

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=180)


def test_home_shows_every_backend_with_its_device() -> None:
    at = page("home").run()
    assert not at.exception
    table = at.dataframe[0].value
    expected = {row.name: row for row in model_status()}
    assert set(table["name"]) == set(expected)
    for _, row in table.iterrows():
        assert row["device"] == expected[row["name"]].device
        assert bool(row["available"]) == expected[row["name"]].available
    assert any("Device in use" in c.value for c in at.caption)


@pytest.mark.slow
def test_similarity_demo_fills_inputs_and_shows_scores_and_agreement() -> None:
    at = page("similarity").run()
    assert "Guided demo" in at.info[0].value
    at.button[0].click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    agreement = next(v for k, v in metrics.items() if k.startswith("Agreement"))
    assert (at.session_state["sim_text_model"], at.session_state["sim_text_model_b"]) == ("minilm", "use-multilingual")
    assert "sim_text_model" not in at.query_params and at.query_params["sim_demo"] == "true"  # the link: what differs from the defaults
    rho, _ = bare_agreement(at.session_state["sim_sentences"].splitlines())
    assert float(agreement) == pytest.approx(rho, abs=2e-3)
    assert at.query_params["sim_compare"] == "true" and "feline" in at.query_params["sim_sentences"]
    pairs = at.dataframe[0].value
    most = pairs[pairs["rank"] == "most"]
    top_two = {frozenset(most.iloc[i][["first", "second"]]) for i in range(2)}
    assert top_two == {
        frozenset({"The cat sat on the mat", "A feline rested on the rug"}),
        frozenset({"Python is a programming language", "I write software in Python every day"}),
    }
    top = most.iloc[0]
    first_model_best = next(m.value for m in at.metric if m.label == "Most similar pair")
    assert float(first_model_best) == pytest.approx(top["cosine"], abs=1e-3)


@pytest.mark.slow
def test_similarity_reopens_from_the_url_and_lists_unknown_words() -> None:
    at = page("similarity")
    at.query_params.update({"sim_mode": "words", "sim_words": "king, queen, zzqqxy, car", "sim_word_model": "glove-6b-50d", "sim_k": "3"})
    at.run()
    assert not at.exception
    assert at.segmented_control[0].value == "words" and at.selectbox[0].value == "glove-6b-50d"
    assert any("zzqqxy" in w.value for w in at.warning)
    neighbours = at.dataframe[1].value
    assert list(neighbours["word"]) == ["king", "queen", "car"]
    assert all(cell.count("(") == 3 for cell in neighbours["nearest neighbours"])


def test_too_many_items_and_bad_links_get_clear_messages() -> None:
    at = page("similarity")
    at.query_params.update({"sim_mode": "words", "sim_words": " ".join(f"w{i}" for i in range(60)), "sim_word_model": "no-such-model"})
    at.run()
    assert not at.exception
    assert any("sim_word_model='no-such-model'" in shown(w.value) for w in at.warning)
    assert any("Too many words: 60; the limit is 50" in shown(e.value) for e in at.error)


HOSTILE = "![x](http://evil.example/x.png) [click](http://evil.example)"


def _raw_markdown_link(value: str) -> bool:
    """True when ``value`` holds an unescaped markdown link or image."""
    return re.search(r"(?<!\\)\]\(", value) is not None


@pytest.mark.parametrize(
    ("name", "params", "clamped"),
    [
        ("similarity", {"sim_mode": "words", "sim_words": f"king {HOSTILE}", "sim_word_model": "glove-6b-50d", "sim_k": "999"}, "sim_k=999"),
        ("analogies", {"an_model": "glove-6b-50d", "an_a": "man", "an_b": "king", "an_c": "woman", "an_k": "-4"}, "an_k=-4"),
        ("train", {"tr_dim": "5000"}, "tr_dim=5000"),
        ("bias", {"bias_section": "Direction", "bias_dir_model": "glove-6b-50d", "bias_words": f"nurse, {HOSTILE}", "bias_c": "9"}, "bias_c=9.0"),
    ],
)
def test_a_hostile_link_is_clamped_and_escaped_never_a_crash(name: str, params: dict[str, str], clamped: str) -> None:
    """Numbers out of a widget's range are brought into it with a warning (Streamlit would raise);
    words from the link are shown as typed, never as links or images."""
    at = page(name)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    messages = [m.value for m in (*at.warning, *at.error, *at.info, *at.markdown, *at.caption, *at.subheader)]
    assert any(clamped in shown(w.value) and "from the link is outside" in shown(w.value) for w in at.warning), [w.value for w in at.warning]
    assert not any(_raw_markdown_link(m) for m in messages)
    if "evil.example" in str(params):
        assert any("![x](http://evil.example/x.png)" in shown(m) for m in messages)


@pytest.mark.slow
def test_similarity_is_readable_with_ten_sentences_and_warns_on_other_languages() -> None:
    """With ten long sentences the heatmap's axes once took the room (cells ~130 px wide): long
    items are numbered, listed in a key, and named on hover. MiniLM reads English only: say so."""
    import json

    sentences = [f"Sentence number {i} talks about a rather long topic that needs many words" for i in range(9)]
    sentences.append("Das Wetter ist heute schön und wir gehen in den Park")
    at = page("similarity")
    at.query_params.update({"sim_sentences": "\n".join(sentences), "sim_compare": "true"})
    at.run()
    assert not at.exception and not at.error
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["data"][0]["x"] == [str(i) for i in range(1, 11)]
    assert "Sentence number 3" in str(figure["data"][0]["customdata"])
    key = next(df.value for df in at.dataframe if list(df.value.columns) == ["item", "text"])
    assert key["text"].tolist() == sentences
    pairs = next(df.value for df in at.dataframe if "cosine" in df.value.columns)
    assert list(pairs.columns)[:2] == ["rank", "cosine"]
    assert any("minilm read English only" in shown(w.value) and "1 in German" in shown(w.value) for w in at.warning)
