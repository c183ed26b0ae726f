"""End to end: a real `streamlit run app.py`, Debian chromium, the Similarity guided demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from embedlab.demos import SIMILARITY_SENTENCES
from tests.conftest import (
    bare_agreement,
    chromium_or_skip,
    start_streamlit,
    stop_streamlit,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_similarity_demo_in_a_real_browser(live_app: str, page) -> None:
    page.goto(f"{live_app}/similarity")
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    agreement = page.locator('[data-testid="stMetric"]').filter(has_text="Agreement")
    agreement.wait_for()
    value = float(agreement.locator('[data-testid="stMetricValue"]').inner_text())
    rho, best_cosine = bare_agreement(list(SIMILARITY_SENTENCES))
    assert value == pytest.approx(rho, abs=2e-3)
    best = page.locator('[data-testid="stMetric"]').filter(has_text="Most similar pair").first
    assert float(best.locator('[data-testid="stMetricValue"]').inner_text()) == pytest.approx(best_cosine, abs=2e-3)
    # The view is in the URL: reopening it restores the inputs without pressing the demo.
    shared = page.url
    assert "sim_compare=true" in shared and "feline" in shared
    page.goto(shared)
    page.locator('[data-testid="stMetric"]').filter(has_text="Agreement").wait_for()
    assert page.get_by_text("A feline rested on the rug").count() >= 1
    assert not page.locator('[data-testid="stException"]').count()


def test_home_lists_models_in_a_real_browser(live_app: str, page) -> None:
    page.goto(live_app)
    page.get_by_text("Models on this machine").wait_for()
    page.get_by_text("Device in use for torch models").wait_for()
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for()
    assert table.count() == 1


@pytest.mark.parametrize(("path", "title"), [("similarity", "Similarity"), ("explore", "Explore maps")])
def test_first_visit_straight_to_a_page_still_uses_the_app_router(tmp_path: Path, page, path: str, title: str) -> None:
    """Streamlit runs a page file alone in legacy mode when the first request after start-up
    opens its URL; ensure_router() must bring it back under app.py (sections, titles)."""
    chromium_or_skip()
    process, url = start_streamlit(tmp_path / "fresh-home")
    try:
        page.goto(f"{url}/{path}")
        page.get_by_role("button", name=re.compile("Guided demo")).wait_for()
        navigation = page.locator('[data-testid="stSidebarNav"]')
        navigation.get_by_text(title, exact=True).wait_for()
        assert navigation.get_by_text("Home", exact=True).count() == 1
        assert navigation.get_by_text("app", exact=True).count() == 0  # no raw file names
    finally:
        stop_streamlit(process)


def test_sigterm_to_embedlab_serve_stops_the_app_and_frees_the_store(browser, tmp_path: Path) -> None:
    """`embedlab serve` once left its Streamlit child serving, holding the store's lock."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home")}
    env.pop("EMBEDLAB_CHROMA_URL", None)
    script = str(Path(sys.executable).with_name("embedlab"))
    server = subprocess.Popen([script, "serve", "--port", str(port), "--allowed-host", "embedlab.internal"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.5)
        assert websocket_status(port, "embedlab.internal") == 101  # a name given with --allowed-host
        assert websocket_status(port, "rebind.example") != 101
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/explore")
        page.get_by_text("No collections yet").wait_for(timeout=120_000)  # the page opened the embedded store
        held = subprocess.run([script, "collections"], env=env, capture_output=True, text=True, timeout=120)
        assert held.returncode == 2 and "is in use by another process" in held.stderr
        context.close()
        started = time.time()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert time.time() - started < 10
    finally:
        if server.poll() is None:
            server.kill()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    free = subprocess.run([script, "collections", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert free.returncode == 0, free.stderr


def websocket_status(port: int, host: str) -> int:
    """The HTTP status of a WebSocket handshake to the app's stream sent with ``Host: host``,
    as a page on a DNS-rebound name would send it (101: the app would talk to that page)."""
    import base64
    import os
    import socket

    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
               "Sec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_a_dns_rebound_host_does_not_get_the_app(live_app: str) -> None:
    """A page on rebind.example resolved to 127.0.0.1 once got the app's WebSocket (issue 14 defect 5)."""
    port = int(live_app.rsplit(":", 1)[1])
    assert websocket_status(port, "127.0.0.1") == 101 and websocket_status(port, "localhost") == 101
    assert websocket_status(port, "rebind.example") in (400, 403)
    assert websocket_status(port, "127.0.0.1.rebind.example") in (400, 403)
