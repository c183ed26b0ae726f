"""Helpers for the browser tests (Debian chromium under Playwright against ``streamlit run``).

Every wait here is on a condition. Streamlit marks its root element with the state of the
script run (``data-test-script-state``: ``running``, ``rerunRequested``, ``notRunning``, ...);
an init script added to every browser context (``open_page``) counts the changes of that state
in the page, so a test can wait until the app is idle and has stayed idle, rather than sleep."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Runs at the start of every document: remembers when the app's script-run state last changed.
RUN_STATE_OBSERVER = """
(() => {
  if (window.__embedlabRuns) return;
  const runs = window.__embedlabRuns = {changes: 0, last: Date.now()};
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.attributeName === "data-test-script-state") { runs.changes += 1; runs.last = Date.now(); }
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
})();
"""

#: True when the app is connected, its script is not running nor asked to run, and that state
#: has held for ``quiet`` ms, counted from ``since`` (the moment the caller acted) at the latest.
IDLE_FOR = """
([quiet, since]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const runs = window.__embedlabRuns;
  if (!app || !runs || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
  return Date.now() - Math.max(runs.last, since) >= quiet;
}
"""

VIEWPORT = {"width": 1400, "height": 1000}
#: ``settled``'s second read comes this long after the first
STABLE_MS = 400
Check = Callable[[object], str]


def new_page(browser, timeout_ms: int = 180_000):  # type: ignore[no-untyped-def]
    """A page in a new browser context (its own cookies and storage, as another user's browser)
    that tracks the app's script runs (``RUN_STATE_OBSERVER``)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(RUN_STATE_OBSERVER)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


@contextmanager
def other_browser(browser, timeout_ms: int = 180_000) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A page in a fresh context, closed afterwards (a shared link opened elsewhere)."""
    page = new_page(browser, timeout_ms)
    try:
        yield page
    finally:
        page.context.close()


def now_ms(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("() => Date.now()"))


def wait_idle(page, quiet: float = 0.5, since: int | None = None, timeout: float = 180.0) -> None:  # type: ignore[no-untyped-def]
    """Until the app has been idle (no script run, none asked for) for ``quiet`` seconds, counted
    from ``since`` (page clock, ms) at the earliest."""
    since = now_ms(page) if since is None else since
    page.wait_for_function(IDLE_FOR, arg=[int(quiet * 1000), since], timeout=timeout * 1000, polling=100)


def runs(page) -> int:  # type: ignore[no-untyped-def]
    """How many times the app's script-run state changed in this document."""
    return int(page.evaluate("() => window.__embedlabRuns ? window.__embedlabRuns.changes : -1"))


def settled(page, check: Check, quiet: float = 0.75, timeout: float = 180.0) -> str:  # type: ignore[no-untyped-def]
    """What ``check`` reads once the page has stopped changing: the app has been idle for
    ``quiet`` seconds since this call (Streamlit may rerun a page once more after it first draws:
    a component reporting its value, the URL being written), no run started while ``check`` read
    the page, and a second read a moment later (the browser draws some elements after the run,
    a table's rows, a chart) gives the same."""
    started = time.time()
    since = now_ms(page)
    while True:
        remaining = timeout - (time.time() - started)
        assert remaining > 0, "the page never settled"
        wait_idle(page, quiet, since, remaining)
        before = runs(page)
        seen = check(page)
        page.wait_for_timeout(STABLE_MS)  # the polling interval between the two reads
        if check(page) == seen and runs(page) == before and page.evaluate(IDLE_FOR, [0, 0]):
            return seen
        since = now_ms(page)


def sidebar(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()


def choose(page, box, option: str, typed: str = "") -> None:  # type: ignore[no-untyped-def]
    """Open the select ``box`` once the app is idle, and click ``option``. A rerun that lands
    while the list opens closes it again; the app is idle first, so none is due. A rerun the
    test did not cause (a component reporting a value) is waited out and the box opened again."""
    for _ in range(3):
        wait_idle(page, 0.3)
        box.click()
        if typed:
            page.keyboard.type(typed)
        item = page.get_by_role("option", name=option)
        try:
            item.wait_for(timeout=10_000)
            item.click(timeout=10_000)  # a rerun that redraws the list detaches the option: open it again
        except Exception:
            page.keyboard.press("Escape")
            continue
        return
    raise AssertionError(f"the option {option!r} never showed or kept being redrawn")


def keeps_the_view(browser, page, title: str, check: Check) -> None:  # type: ignore[no-untyped-def]
    """``check(page)`` waits for the view and returns what it shows; every way back must show the same."""
    original = check
    check = lambda p: settled(p, original)
    seen = check(page)
    shared = page.url
    assert "?" in shared, "the view is not in the URL"
    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    sidebar(page, title)
    assert check(page) == seen, "leaving the page and coming back changed the view"
    page.reload()
    assert check(page) == seen, "a reload changed the view"
    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    page.go_back()
    assert check(page) == seen, "browser back changed the view"
    page.go_forward()
    page.get_by_text("Models on this machine").wait_for()
    page.go_back()
    assert check(page) == seen, "back after forward changed the view"
    with other_browser(browser) as fresh:
        fresh.goto(shared)
        assert check(fresh) == seen, "the shared link shows another view"
    assert not page.locator('[data-testid="stException"]').count()


def field(page, label: str):  # type: ignore[no-untyped-def]
    """A text input or text area by its label (not the help button that shares the label)."""
    return page.get_by_role("textbox", name=label, exact=True)


def value(page, label: str) -> str:  # type: ignore[no-untyped-def]
    return field(page, label).input_value()


def typed(page, label: str, text: str) -> None:  # type: ignore[no-untyped-def]
    box = field(page, label)
    box.fill(text)
    box.press("Control+Enter" if box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")


def slide(page, label: str, target: int) -> None:  # type: ignore[no-untyped-def]
    """Move a slider to ``target`` with the keyboard, as a user can."""
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    for _ in range(200):
        if float(thumb.input_value()) >= target:
            break
        thumb.press("ArrowRight")
    assert float(thumb.input_value()) == target


def slider_value(page, label: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider").input_value()


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    box.wait_for()
    return box.locator('[data-testid="stMetricValue"]').inner_text()
