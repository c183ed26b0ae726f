"""Make the shipped demo results (``embedlab/shipped``): each page's guided demo is run cold under
Streamlit's AppTest, in a fresh EMBEDLAB_HOME with the shipped results turned off, and the disk
cache entries it wrote (encodes, maps, clusters, scores) are copied into the package, with a
manifest of which page made which entry. A first demo then reads them instead of computing.

    .venv/bin/python scripts/ship_demo_results.py            # every page
    .venv/bin/python scripts/ship_demo_results.py explore    # one page (its entries replaced)

Keys are contents (model revision, texts, settings), so an entry serves only the very call that
made it: when a demo changes, its entries are simply not found (tests/test_shipped_results.py
then fails, naming the page to run this for again).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "embedlab" / "shipped"
MANIFEST = SHIPPED / "manifest.json"
#: what a page's demo may ship: results of pure functions kept by content (never a collection,
#: a snapshot of one or a view: those are the user's)
KINDS = ("encoded", "projection", "clusters", "trust", "compression", "downstream", "intrinsic", "normalisation", "recommend-eval",
         "knn", "drift")

RUN_DEMO = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=3600).run()
next(b for b in at.button if "Guided demo" in b.label).click().run()
problems = [e.value for e in at.exception] + [e.value for e in at.error]
if problems:
    sys.exit(f"the demo failed: {problems}")
"""


def run_demo(page_file: str, home: Path) -> float:
    """Run ``page_file``'s guided demo in ``home`` (shipped results off); its seconds."""
    env = {**os.environ, "EMBEDLAB_HOME": str(home), "EMBEDLAB_SHIPPED_RESULTS": "0"}
    env.pop("EMBEDLAB_CHROMA_URL", None)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN_DEMO, str(REPO / page_file)], env=env, check=True, cwd=REPO)
    return time.perf_counter() - started


def entries(home: Path) -> list[tuple[str, str, list[Path]]]:
    """(kind, key, files) of every cache entry in ``home`` of a shippable kind."""
    found = []
    for kind in KINDS:
        folder = home / "cache" / kind
        for meta in sorted(folder.glob("*.json")) if folder.exists() else []:
            files = [meta.with_suffix(".npz"), meta]
            if files[0].exists():
                found.append((kind, meta.stem, files))
    return found


def main(pages: list[str]) -> int:
    from embedlab.ui.pages import PAGES

    chosen = [spec for spec in PAGES if not pages or spec.url_path in pages]
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for spec in chosen:
        for kind, key in (tuple(entry.split("/")) for entry in manifest.pop(spec.url_path, {}).get("entries", [])):
            if not any(f"{kind}/{key}" in (other.get("entries") or []) for other in manifest.values()):
                for suffix in (".npz", ".json"):
                    (SHIPPED / kind / f"{key}{suffix}").unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="ship-") as folder:
            home = Path(folder) / "home"
            seconds = run_demo(spec.file, home)
            made = entries(home)
            for kind, _key, files in made:
                (SHIPPED / kind).mkdir(parents=True, exist_ok=True)
                for file in files:
                    shutil.copyfile(file, SHIPPED / kind / file.name)
            size = sum(f.stat().st_size for _, _, files in made for f in files)
            manifest[spec.url_path] = {"entries": [f"{kind}/{key}" for kind, key, _ in made], "bytes": size,
                                       "cold_seconds": round(seconds, 1)}
            print(f"{spec.url_path}: {len(made)} entries, {size / 1e6:.1f} MB, cold demo {seconds:.0f} s", file=sys.stderr)
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)  # after each page: a later failure keeps it
        MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", help="url paths of the pages (default: every page)")
    sys.exit(main(parser.parse_args().pages))
