"""The Image-text search page under AppTest: the guided demo (eight queries right, the moon
wrong), text -> image, "more like this", zero-shot labels with accuracy and a confusion matrix
on a labelled collection, the map (Explore's point map) coloured by label, and the URL state."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from embedlab import demos
from tests.conftest import map_data

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("warm_home")]  # the gallery collections
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "images.py")


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=900).run()
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_guided_demo_shows_what_conse_finds_and_the_moon_it_cannot() -> None:
    at = page()
    assert "Active image-text model: **conse**" in at.info[0].value and "ImageNet" in at.info[0].value
    next(b for b in at.button if "Guided demo" in b.label).click().run()
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if "right?" in df.value.columns)
    assert table["top-1"].tolist()[:8] == list(demos.IMAGES_QUERIES.values())
    assert table["right?"].tolist() == ["✅"] * 8 + ["❌"]
    assert table["query"].tolist()[-1] == "the moon" and table["top-1"].tolist()[-1] != "moon"
    assert "1\\. chelsea" in markdown(at) or "1. chelsea" in markdown(at)  # the demo's query "a cat"
    assert at.query_params["img_query"] == "a cat" and at.session_state["img_backend"] == "conse"
    assert at.query_params["img_demo"] == "true" and "img_backend" not in at.query_params  # the default stays out of the link
    # part 2: the digits map, coloured by digit
    at.button(key="img_demo_digits").click().run()
    assert not at.exception and not at.error
    data = map_data(at, "img_map")
    assert data["n"] == demos.IMAGES_DIGITS_LIMIT and sorted(row[0] for row in data["legend"]) == [str(d) for d in range(10)]
    assert at.session_state["img_collection"] == "digits-demo" and at.session_state["img_backend"] == "efficientnet-lite0"
    assert at.session_state["img_map_method"] == "umap"


def test_conse_t_is_a_page_setting() -> None:
    at = page()
    at.number_input(key="img_conse_t").set_value(3).run()
    at.text_input(key="img_query").set_value("a cat").run()
    assert not at.exception and not at.error
    assert "conse\\-t3" in "\n".join(c.value for c in at.caption) and "**1. chelsea**" in markdown(at)
    assert at.query_params["img_conse_t"] == "3"


def test_text_search_more_like_this_and_the_link() -> None:
    at = page()
    at.text_input(key="img_query").set_value("a cup of coffee").run()
    assert not at.exception and not at.error
    assert "**1. coffee**" in markdown(at)
    at.button(key="img_text_more_0").click().run()  # more like the coffee picture
    assert at.session_state["img_mode"] == "Image → image"
    names = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    assert names and not any("coffee**" in n for n in names)
    assert at.query_params["img_mode"] == "Image → image" and len(at.query_params["img_more"]) == 32


def test_zero_shot_labels_and_accuracy_on_a_labelled_collection() -> None:
    from embedlab.images.search import evaluate_zero_shot

    at = page()
    at.selectbox(key="img_collection").set_value("gallery-faces").run()
    at.segmented_control(key="img_mode").set_value("Zero-shot labels").run()
    at.text_input(key="img_labels").set_value("face, background").run()
    assert not at.exception and not at.error
    bars = at.get("plotly_chart")[0]
    assert "zero-shot (conse)" in bars.proto.spec
    at.button(key="img_eval").click().run()
    metrics = {m.label: m.value for m in at.metric}
    expected = evaluate_zero_shot("gallery-faces", None, "a photo of a {}", "conse")
    assert metrics["Zero-shot accuracy"] == f"{expected.accuracy:.3f}"
    assert metrics["Chance (largest class)"] == "0.500"
    assert float(metrics["Nearest-neighbour accuracy (leave one out)"]) > 0.9
    assert len(at.get("plotly_chart")) == 2 and at.query_params["img_eval_shown"] == "true"


def test_the_map_reuses_the_point_map_coloured_by_label() -> None:
    at = page()
    at.selectbox(key="img_backend").set_value("efficientnet-lite0").run()
    at.segmented_control(key="img_mode").set_value("Map").run()
    assert not at.exception and not at.error
    data = map_data(at, "img_map")
    assert data["n"] == 26 and data["legend_title"] == "label"
    assert {row[0] for row in data["legend"]} >= {"animal", "texture", "space", "vehicle"}
    assert at.query_params["img_mode"] == "Map" and at.query_params["img_backend"] == "efficientnet-lite0"
