"""End to end (issue 23): the Similarity guided demo in Debian chromium on ``api:minilm``, a model
served over the OpenAI protocol by ``embedlab serve-embeddings``, compared with MiniLM in process:
the same model on both sides, so their pairwise similarities agree exactly (Spearman ρ = 1)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import chromium_or_skip, start_streamlit, stop_streamlit
from tests.test_api_embeddings import EMBEDLAB, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "browser-token-51d0"


@pytest.fixture(scope="module")
def app_on_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """serve-embeddings, and the app with ``EMBEDLAB_API_BASE`` pointing at it."""
    chromium_or_skip()
    port = free_port()
    server = subprocess.Popen([EMBEDLAB, "serve-embeddings", "--model", "minilm", "--port", str(port)],
                              env={**os.environ, "EMBEDLAB_HOME": str(tmp_path_factory.mktemp("api-serve")), "EMBEDLAB_SERVE_TOKEN": TOKEN},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/health", server)
    with pytest.MonkeyPatch.context() as patch:  # the app process inherits these
        patch.setenv("EMBEDLAB_API_BASE", f"http://127.0.0.1:{port}/v1")
        patch.setenv("EMBEDLAB_API_KEY", TOKEN)
        patch.setenv("EMBEDLAB_API_MODELS", "minilm")
        app, url = start_streamlit(Path(tmp_path_factory.mktemp("api-app")))
    yield url
    stop_streamlit(app)
    server.terminate()
    server.wait(timeout=30)


def test_the_similarity_demo_runs_on_a_served_model(app_on_api: str, page) -> None:
    page.goto(f"{app_on_api}/similarity?sim_text_model=api%3Aminilm&sim_text_model_b=minilm")
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    agreement = page.locator('[data-testid="stMetric"]').filter(has_text="Agreement")
    agreement.wait_for()
    assert "api:minilm vs minilm" in agreement.inner_text()
    assert float(agreement.locator('[data-testid="stMetricValue"]').inner_text()) == pytest.approx(1.0, abs=1e-3)
    page.get_by_role("heading", name="api:minilm").wait_for()
    assert not page.locator('[data-testid="stException"]').count()
    assert TOKEN not in page.content() and TOKEN not in page.url
    # the model table on Home shows the served model with its state
    page.goto(app_on_api)
    page.get_by_text("Models on this machine").wait_for()
    page.locator('[data-testid="stDataFrame"] [role="gridcell"]', has_text="api:minilm").first.wait_for(state="attached")
