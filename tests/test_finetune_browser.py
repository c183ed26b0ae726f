"""The Fine-tune page in Debian chromium: a fine-tuned model's result (saved on the server) and
the training settings stay the same when leaving the page and coming back, on reload, back and
forward, and from a shared link in another browser; the model can be removed from the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import start_streamlit, stop_streamlit
from tests.test_finetune import TINY, tiny_base, tiny_model_dir, toy_data  # noqa: F401  (fixtures)
from tests.test_state_browser import choose, keeps_the_view, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_finetune_keeps_its_settings_and_result(tiny_base: str, embedlab_home: Path, browser, page) -> None:  # noqa: F811
    from embedlab.training.finetune import finetune

    result = finetune(toy_data(15), TINY, base=tiny_base, out="toy-browser")  # saved under the server's home below
    process, url = start_streamlit(embedlab_home)
    try:
        page.goto(f"{url}/finetune?ft_model={result.name}")
        page.get_by_text("Held-out split: 9 texts, 3 labels").wait_for(timeout=180_000)
        choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Loss").first, "batch-hard-triplet")
        seed = page.get_by_role("spinbutton", name="Seed")
        seed.fill("7")
        seed.press("Enter")

        def check(p) -> str:
            p.get_by_text("Held-out split: 9 texts, 3 labels").wait_for()
            p.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for()
            loss = p.get_by_test_id("stSelectbox").filter(has_text="Loss").first.inner_text()
            return f"{loss}|{p.get_by_role('spinbutton', name='Seed').input_value()}|{p.get_by_text('finetuned:toy-browser: ').first.inner_text()}"

        seen = settled(page, check)
        assert "batch-hard-triplet" in seen and "|7|" in seen and "tiny-st fine-tuned on toy" in seen
        keeps_the_view(browser, page, "Fine-tune", check)

        page.get_by_text("Yes, remove finetuned:toy-browser").click()
        page.get_by_role("button", name="Remove model").click()
        page.get_by_text("Removed finetuned:toy-browser.").wait_for()
        assert not (embedlab_home / "wordvectors" / "finetuned_toy-browser.st").exists()
        page.screenshot(path=str(embedlab_home / "finetune.png"), full_page=True)
    finally:
        stop_streamlit(process)
