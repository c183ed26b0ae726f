"""The one list of pages: every page opens, runs its guided demo without an error, and the README
and Home describe exactly these pages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from embedlab.ui.pages import PAGES

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


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
def test_every_page_opens_and_runs_its_guided_demo_from_the_shipped_results(spec, embedlab_home: Path) -> None:
    """On a fresh home, as a first visitor: the demo runs without an error and computes nothing
    it could have read from the shipped results (embedlab/shipped): no encode, map, cluster or
    score lands in the user's cache. When this fails, the demo changed: ship its results again."""
    from ship_demo_results import entries

    at = AppTest.from_file(str(REPO / spec.file), default_timeout=900).run()
    assert not at.exception, at.exception
    demo = [button for button in at.button if "Guided demo" in button.label]
    assert len(demo) == 1, f"{spec.file} has no guided demo button"
    demo[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    computed = [f"{kind}/{key}" for kind, key, _ in entries(embedlab_home)]
    assert not computed, f"the demo computed {computed}: run scripts/ship_demo_results.py {spec.url_path}"


STORE_CALLS = re.compile(r"\b(open_store|Store\(|store_or_stop)\b")


def test_every_page_that_uses_the_store_opens_it_through_store_or_stop() -> None:
    """store_or_stop says who holds a locked store; a page opening it otherwise once showed
    Streamlit's redacted "This app has encountered an error" instead."""
    for spec in PAGES:
        source = (REPO / spec.file).read_text(encoding="utf-8")
        calls = set(STORE_CALLS.findall(source))
        assert not calls - {"store_or_stop"}, f"{spec.file} opens the store without store_or_stop"


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for s in PAGES if "store_or_stop" in (REPO / s.file).read_text(encoding="utf-8")],
                         ids=lambda s: s.url_path)
def test_a_page_says_which_process_holds_the_store(spec, tmp_path: Path) -> None:
    """With `embedlab` holding the embedded store in another process, the page names it and
    keeps running (issue 14 defect 2)."""
    import os
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from embedlab.store import open_store; open_store();"
                               " print('held', flush=True); time.sleep(600)"], env=os.environ.copy(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        at = AppTest.from_file(str(REPO / spec.file), default_timeout=240).run()
        assert not at.exception, [(e.message, e.stack_trace) for e in at.exception]
        assert any("is in use by another process" in e.value and f"pid {holder.pid}" in e.value for e in at.error), \
            [e.value for e in at.error]
    finally:
        holder.kill()
        holder.wait(timeout=30)
