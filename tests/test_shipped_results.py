"""The shipped demo results (embedlab/shipped, made by scripts/ship_demo_results.py): the cache
reads them under the user's own entries, only for the very call that made them, never when
turned off; they are what the code computes now (the Explore demo recomputed cold and compared
entry by entry); and each page's demo finds all of its heavy results there (the every-page test
in test_pages_all checks that no demo computes what it ships)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from embedlab import cache

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import ship_demo_results


def manifest() -> dict[str, dict[str, object]]:
    """Which page shipped which entries (embedlab/shipped/manifest.json)."""
    return json.loads((REPO / "embedlab" / "shipped" / "manifest.json").read_text())


def test_the_user_cache_comes_first_and_the_shipped_layer_can_be_turned_off(embedlab_home: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    kind, key = manifest()["explore"]["entries"][0].split("/")
    shipped = cache.load(kind, key)
    assert shipped is not None  # read from the package: nothing in this fresh home
    assert not (embedlab_home / "cache" / kind / f"{key}.npz").exists()
    mine = {name: np.zeros_like(array) for name, array in shipped[0].items()}
    cache.save(kind, key, mine, shipped[1])
    assert all(not array.any() for array in cache.load(kind, key)[0].values())  # the user's own entry wins
    (embedlab_home / "cache" / kind / f"{key}.npz").unlink()
    monkeypatch.setenv("EMBEDLAB_SHIPPED_RESULTS", "0")
    assert cache.load(kind, key) is None


def test_every_shipped_entry_belongs_to_a_page_and_is_small() -> None:
    pages = manifest()
    listed = {entry for page in pages.values() for entry in page["entries"]}
    on_disk = {f"{path.parent.name}/{path.stem}" for path in (REPO / "embedlab" / "shipped").glob("*/*.json")}
    assert listed == on_disk
    assert sum(page["bytes"] for page in pages.values()) < 25e6


@pytest.mark.slow
def test_the_explore_demo_computed_again_gives_the_shipped_results(tmp_path: Path) -> None:
    """Cold, with the shipped layer off: the same keys, and arrays equal to the shipped ones
    (MiniLM's vectors to float32 rounding; the seeded UMAP map and k-means labels exactly)."""
    home = tmp_path / "home"
    ship_demo_results.run_demo("pages/explore.py", home)
    made = {f"{kind}/{key}": files for kind, key, files in ship_demo_results.entries(home)}
    assert set(made) == set(manifest()["explore"]["entries"])
    for entry, files in made.items():
        with np.load(files[0]) as fresh, np.load(REPO / "embedlab" / "shipped" / f"{entry}.npz") as shipped:
            assert fresh.files == shipped.files, entry
            for name in fresh.files:
                if fresh[name].dtype.kind == "f":
                    np.testing.assert_allclose(fresh[name], shipped[name], atol=1e-4, err_msg=entry)
                else:
                    np.testing.assert_array_equal(fresh[name], shipped[name], err_msg=entry)


def test_the_builder_says_what_it_made(tmp_path: Path) -> None:
    """The builder's entry listing reads only shippable kinds, both files present."""
    home = tmp_path / "home"
    for kind in ("encoded", "corpus", "projection"):
        (home / "cache" / kind).mkdir(parents=True)
        (home / "cache" / kind / "a.json").write_text("{}")
    (home / "cache" / "encoded" / "a.npz").write_bytes(b"")
    assert [(kind, key) for kind, key, _ in ship_demo_results.entries(home)] == [("encoded", "a")]


def test_a_memoized_disk_cached_function_still_writes_to_disk(embedlab_home: Path) -> None:
    """memoize over on_disk (intrinsic_scores): the memo once took the OnDisk's own fields through
    functools.update_wrapper and called the bare function, so nothing reached the disk."""
    calls: list[int] = []

    @cache.memoize()
    @cache.on_disk("probe", dump=lambda value: ({"value": np.asarray([value])}, {}), load=lambda arrays, meta: int(arrays["value"][0]))
    def doubled(number: int) -> int:
        calls.append(number)
        return 2 * number

    assert doubled(21) == 42 and calls == [21]
    assert len(list((embedlab_home / "cache" / "probe").glob("*.npz"))) == 1
    cache.clear_memory()
    assert doubled(21) == 42 and calls == [21]  # read back from disk, not computed
