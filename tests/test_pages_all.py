"""The one list of pages: every page opens, runs its guided demo without an error, and the README
and Home describe exactly these pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from embedlab.ui.pages import PAGES

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_lists_exactly_the_pages_that_exist() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## What is inside"):].split("\n\n")[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| page")]
    listed = []
    for row in rows:
        match = re.match(r"\| (\S+) ([^|]+?) \|", row)
        assert match, row
        listed.append(match.groups())
    assert listed == [(spec.icon, spec.title) for spec in PAGES]
    for spec in PAGES:
        assert (REPO / spec.file).exists()


def test_home_tours_every_other_page() -> None:
    at = AppTest.from_file(str(REPO / PAGES[0].file), default_timeout=120).run()
    assert not at.exception
    tour = next(m.value for m in at.markdown if "| page | what it shows |" in m.value)
    assert [line.split("**")[1] for line in tour.splitlines()[2:] if line.startswith("| ")] == [s.title for s in PAGES[1:]]


@pytest.mark.slow
@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path for spec in PAGES])
def test_every_page_opens_and_runs_its_guided_demo(spec) -> None:  # noqa: ANN001
    at = AppTest.from_file(str(REPO / spec.file), default_timeout=900).run()
    assert not at.exception, at.exception
    demo = [button for button in at.button if "Guided demo" in button.label]
    assert len(demo) == 1, f"{spec.file} has no guided demo button"
    demo[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
