"""The bias commands: weat, bias-direction, debias (JSON keys of the issue, errors exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends import BackendKind, catalogue
from embedlab.cli import main
from tests.conftest import restart_catalogue

KEYS = {"test", "name", "effect_size", "p_value", "statistic", "n_used", "oov"}


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_weat_one_test_json(capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(capsys, ["weat", "glove-6b-50d", "--test", "6", "--seed", "5", "--json"])
    assert isinstance(document, list) and len(document) == 1
    row = document[0]
    assert set(row) >= KEYS
    assert row["test"] == "6" and row["effect_size"] > 1 and row["p_value"] < 0.01
    assert row["n_used"] == {"X": 8, "Y": 8, "A": 8, "B": 8} and row["oov"] == []
    assert row["p_method"] == "exact" and row["permutations"] == 12_870


@pytest.mark.slow
def test_weat_all_on_word2vec_reports_uncomputable(capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(capsys, ["weat", "word2vec-gn-bolukbasi", "--json", "--seed", "2", "--permutations", "20000"])
    assert [row["test"] for row in document] == [str(i) for i in range(1, 11)]
    by_test = {row["test"]: row for row in document}
    assert by_test["6"]["effect_size"] is None and "not computable" in by_test["6"]["reason"]
    assert "Amy" in by_test["6"]["oov"]
    random_rows = [row for row in document if row["p_method"] == "random"]
    assert random_rows and all(row["seed"] == 2 and row["permutations"] == 20_000 for row in random_rows)


def test_weat_human_output_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weat", "glove-6b-50d", "--test", "9", "--words"]) == 0
    out = capsys.readouterr().out
    assert "exact over all 924 partitions" in out and "paper d" in out
    assert main(["weat", "glove-6b-50d", "--test", "12"]) == 2
    assert "Unknown WEAT test" in capsys.readouterr().err
    assert main(["weat", "glove-6b-50d", "--permutations", "99"]) == 2
    assert "argument --permutations: must be between 10,000" in capsys.readouterr().err
    assert main(["weat", "no-such-model"]) == 2
    assert "Unknown model" in capsys.readouterr().err


def test_bias_direction_json(capsys: pytest.CaptureFixture[str]) -> None:
    document = _json(capsys, ["bias-direction", "word2vec-gn-bolukbasi", "--words", "nurse", "programmer", "qqzzxx", "--json"])
    assert document["explained_variance"] > 0.5
    projections = {item["word"]: item["projection"] for item in document["projections"]}
    assert projections["nurse"] > projections["programmer"]
    assert document["missing"] == ["qqzzxx"]
    assert document["direct_bias"]["c"] == 1.0 and document["direct_bias"]["direct_bias"] > 0
    axis = _json(capsys, ["bias-direction", "word2vec-gn-bolukbasi", "--axis", "rich", "poor", "--words", "banker", "--json"])
    assert axis["axis"] == "rich – poor" and axis["method"] == "pair"
    assert axis["explained_variance"] is None and axis["direct_bias"]["axis"] == "rich – poor"
    assert main(["bias-direction", "word2vec-gn-bolukbasi", "--axis", "rich", "zzqqxx"]) == 2
    assert "zzqqxx" in capsys.readouterr().err
    neutral = _json(capsys, ["bias-direction", "word2vec-gn-bolukbasi", "--neutral", "nurse", "programmer", "qqzzxx", "-c", "2", "--json"])
    bias = neutral["direct_bias"]
    assert bias["n_words"] == 2 and bias["missing"] == ["qqzzxx"]
    assert bias["direct_bias"] == pytest.approx((projections["nurse"] ** 2 + projections["programmer"] ** 2) / 2, rel=1e-5)


def test_own_axis_needs_no_definitional_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    from gensim.models import KeyedVectors

    from embedlab.backends.words import KeyedWordVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["rich", "poor", "banker", "janitor"], np.array([[1, 0, 0], [-1, 0, 0], [0.8, 0.6, 0], [-0.6, 0.8, 0]], dtype=np.float32))
    catalogue().add(KeyedWordVectors("tiny-no-gender", kv), "session", persist=False)
    assert main(["bias-direction", "tiny-no-gender"]) == 2  # no she/he pairs: the gender direction cannot be found
    capsys.readouterr()
    document = _json(capsys, ["bias-direction", "tiny-no-gender", "--axis", "rich", "poor", "--words", "banker", "janitor",
                              "--neutral", "banker", "janitor", "--json"])
    projections = {item["word"]: item["projection"] for item in document["projections"]}
    assert projections["banker"] == pytest.approx(0.8, abs=1e-5) and projections["janitor"] == pytest.approx(-0.6, abs=1e-5)
    assert document["direct_bias"]["direct_bias"] == pytest.approx(0.7, abs=1e-5)


def test_debias_json(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        document = _json(capsys, ["debias", "word2vec-gn-bolukbasi", "--out", "cli-debiased", "--no-analogies", "--json"])
        assert document["backend"] == "cli-debiased"
        assert document["direct_bias"]["after"] < document["direct_bias"]["before"]
        assert len(document["weat"]) == 10 and document["analogy_accuracy"]["before"] is None
        # Saved like an upload: a later command (another process, or after a restart) finds it.
        note = catalogue().saved.note("cli-debiased")
        assert note is not None and (note.origin, note.base) == ("debiased", "word2vec-gn-bolukbasi")
        restart_catalogue()  # as in a new process: the saved folder is read afresh
        assert "cli-debiased" in catalogue().names(BackendKind.WORDS)
        rows = _json(capsys, ["weat", "cli-debiased", "--test", "8", "--json"])
        after = next(r["effect_size_after"] for r in document["weat"] if r["test"] == "8")
        assert rows[0]["effect_size"] == pytest.approx(after, abs=1e-6)  # the saved vectors are the debiased ones
        assert main(["debias", "glove-6b-50d", "--out", "cli-debiased", "--no-analogies"]) == 2  # another base: refused
        assert "already exists" in capsys.readouterr().err
    finally:
        catalogue().remove("cli-debiased")
    assert main(["debias", "word2vec-gn-bolukbasi", "--out", "minilm"]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_runs_in_a_fresh_process() -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "embedlab"), "weat", "glove-6b-50d", "--test", "1", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    row = json.loads(completed.stdout)[0]
    assert row["oov"] == ["gladiola"] and row["effect_size"] > 0.5 and row["seed"] == 0


def test_custom_sets_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = tmp_path / "sets.txt"
    sets.write_text("pets: cat, dog, hamster, qqzzpet\ntools: hammer, saw, drill, wrench\n")
    document = _json(capsys, ["weat", "glove-6b-50d", "--sets", str(sets), "--custom", "pets", "tools",
                              "wefe:pleasant_5", "wefe:unpleasant_5a", "--json"])
    row = document[0]
    assert row["test"] == "custom" and row["n_used"]["X"] == 3 and row["oov"] == ["qqzzpet"]
    assert row["p_method"] == "exact" and row["permutations"] == 35  # C(7, 3)
    listed = _json(capsys, ["weat", "glove-6b-50d", "--sets", str(sets), "--list-sets", "--json"])
    assert listed["pets"] == ["cat", "dog", "hamster", "qqzzpet"] and "wefe:career" in listed
    assert main(["weat", "glove-6b-50d", "--custom", "pets", "tools", "A", "B"]) == 2
    assert "Unknown word set(s): pets, tools, A, B" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("no colon\n")
    assert main(["weat", "glove-6b-50d", "--sets", str(bad), "--list-sets"]) == 2
    assert "line 1" in capsys.readouterr().err
