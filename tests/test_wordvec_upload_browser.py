"""End to end: upload word vectors on the Train page in chromium, then use them on Analogies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TINY = "king 1 0 1 0\nqueen 0 1 1 0\nman 1 0 0 0\nwoman 0 1 0 0\napple 0 0 0 1\n"


def test_upload_refuses_a_pickle_then_serves_the_vectors_on_another_page(live_app: str, page, tmp_path: Path) -> None:
    page.goto(f"{live_app}/train")
    page.get_by_role("tab", name="Upload word vectors").click()
    pickle_file = tmp_path / "model.kv"
    pickle_file.write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    page.locator('input[type="file"]').set_input_files(str(pickle_file))
    page.locator('[data-testid="stAlertContentError"]').filter(has_text="pickle").wait_for()

    vectors = tmp_path / "tiny-glove.txt"
    vectors.write_text(TINY)
    page.locator('input[type="file"]').set_input_files(str(vectors))
    success = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="user:tiny-glove-")
    success.wait_for()
    name = re.search(r"user:tiny-glove-[0-9a-f]{8}", success.inner_text()).group(0)

    page.goto(f"{live_app}/analogies?an_model={name}&an_a=man&an_b=king&an_c=woman&an_k=2")
    page.get_by_text("man : king :: woman : queen").wait_for()
    assert not page.locator('[data-testid="stException"]').count()
