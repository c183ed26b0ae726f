"""The registry and the four built-in backends, on the real models."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends import (
    BackendKind,
    Catalogue,
    catalogue,
    get_backend,
    get_text_encoder,
    get_word_vectors,
    model_status,
)
from embedlab.backends.base import BackendSpec, BatchedEncoder, TextEncoder, WordVectors
from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import (
    BackendUnavailableError,
    EncoderOutputError,
    InputError,
    OutOfVocabularyError,
    UnknownBackendError,
    WrongBackendKindError,
)

BUILT_INS = {"minilm": 384, "use-multilingual": 512, "glove-6b-50d": 50, "word2vec-gn-bolukbasi": 300}


def test_status_lists_the_four_built_ins_as_available_without_loading() -> None:
    rows = {r.name: r for r in model_status()}
    for name, dim in BUILT_INS.items():
        assert rows[name].available, rows[name].reason
        assert rows[name].dim == dim
        assert rows[name].device in ("cpu", "cuda", "mps") or rows[name].device.startswith("cuda:")
    assert {rows["minilm"].kind, rows["glove-6b-50d"].kind} == {"text", "words"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["minilm", "use-multilingual"])
def test_text_encoders_give_unit_rows_and_rank_paraphrases_first(name: str) -> None:
    encoder = get_text_encoder(name)
    assert isinstance(encoder, TextEncoder) and encoder.dim == BUILT_INS[name]
    vectors = encoder.encode(["The cat sat on the mat", "A feline rested on the rug", "Stock markets fell sharply today"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, BUILT_INS[name])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert get_backend(name) is encoder  # loaded once per process


@pytest.mark.slow
def test_multilingual_use_pairs_translations() -> None:
    encoder = get_text_encoder("use-multilingual")
    english = encoder.encode(["The weather is nice today", "I love reading books"])
    german = encoder.encode(["Ich lese gern Bücher", "Das Wetter ist heute schön"])
    similarity = english @ german.T
    assert similarity[0, 1] > similarity[0, 0] and similarity[1, 0] > similarity[1, 1]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["glove-6b-50d", "word2vec-gn-bolukbasi"])
def test_word_vectors_know_royalty_and_name_unknown_words(name: str) -> None:
    words = get_word_vectors(name)
    assert isinstance(words, WordVectors) and words.dim == BUILT_INS[name]
    assert "queen" in [w for w, _ in words.neighbors("king", 10)]
    with pytest.raises(OutOfVocabularyError) as caught:
        words.encode(["king", "qzxv-not-a-word", "zzqq"])
    assert caught.value.words == ["qzxv-not-a-word", "zzqq"]
    assert words.split_known(["king", "zzqq"]) == (["king"], ["zzqq"])


def test_glove_has_its_full_vocabulary() -> None:
    assert get_word_vectors("glove-6b-50d").vocab_size == 400_000


def test_unknown_and_wrong_kind_errors_say_what_to_do() -> None:
    with pytest.raises(UnknownBackendError, match="Known models: .*minilm"):
        get_backend("no-such-model")
    with pytest.raises(WrongBackendKindError, match="choose a text model"):
        get_text_encoder("glove-6b-50d")


def test_missing_weights_give_an_install_hint() -> None:
    spec = BackendSpec(
        name="test-missing",
        kind=BackendKind.TEXT,
        dim=8,
        package="not-a-real-package",
        description="",
        install_hint="pip install not-a-real-package",
        loader=lambda: pytest.fail("must not load"),
        check=lambda: "package not-a-real-package is not installed",
        device_of=lambda: "cpu",
    )
    catalogue = Catalogue([spec])
    row = next(r for r in catalogue.status() if r.name == "test-missing")
    assert not row.available and "not installed" in row.reason
    with pytest.raises(BackendUnavailableError, match="pip install not-a-real-package"):
        catalogue.get("test-missing")


@pytest.mark.slow
def test_concurrent_sessions_share_one_model_safely() -> None:
    """Streamlit sessions call the same model from several threads (fast tokenizers are not thread-safe)."""
    encoder = get_text_encoder("minilm")
    expected = encoder.encode(["thread safety check"])[0]
    errors: list[BaseException] = []
    results: list[np.ndarray] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(get_text_encoder("minilm").encode(["thread safety check", "another sentence"])[0])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 30 and all(np.allclose(r, expected, atol=1e-5) for r in results)


@pytest.mark.slow
def test_any_sentence_transformers_model_by_path_through_the_hub_loader() -> None:
    """`st:<hub id or path>` is the non-default path for other models; offline we point it at a directory."""
    from embedlab.backends.sentence import minilm_model_path

    name = f"st:{minilm_model_path()}"
    encoder = get_text_encoder(name)
    assert encoder.dim == 384
    reference = get_text_encoder("minilm").encode(["hub path check"])
    assert np.allclose(encoder.encode(["hub path check"]), reference, atol=1e-5)
    row = next(r for r in model_status() if r.name == name)
    assert row.available and row.dim == 384 and row.loaded


def test_a_hub_id_that_cannot_be_fetched_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import, so patch it
    with pytest.raises(BackendUnavailableError, match="could not load 'no-such-org/no-such-model'"):
        get_backend("st:no-such-org/no-such-model")


class BrokenEncoder(BatchedEncoder):
    """An encoder whose output is wrong in a chosen way."""

    kind = BackendKind.TEXT
    device = "cpu"

    def __init__(self, fault: str) -> None:
        self.name, self.dim, self.fault = f"broken-{fault}", 4, fault

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        rows = np.ones((len(batch), self.dim), dtype=np.float64)
        if self.fault == "nan":
            rows[-1, 0] = np.nan
        elif self.fault == "rows":
            rows = rows[:-1]
        elif self.fault == "dim":
            rows = rows[:, :3]
        return rows


@pytest.mark.parametrize(("fault", "message"), [("nan", "NaN or infinite values"), ("rows", "returned 2 rows for 3 inputs"),
                                                 ("dim", "returned 3-d rows; it announces 4-d")])
def test_every_encoder_output_goes_through_one_check(fault: str, message: str) -> None:
    with pytest.raises(EncoderOutputError, match=message):
        BrokenEncoder(fault).encode(["a", "b", "c"])


def test_the_check_makes_float32_unit_rows_in_batches_with_progress() -> None:
    encoder = BrokenEncoder("none")
    seen: list[tuple[int, int]] = []
    vectors = encoder.encode(["a", "b", "c", "d", "e"], batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert vectors.dtype == np.float32 and vectors.shape == (5, 4)
    assert np.allclose(vectors, 0.5)  # (1, 1, 1, 1) / 2
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_add_remove_and_revisions() -> None:
    """One add() path; a name given new contents gets a new revision (caches keyed by it go stale)."""
    first = HashingEncoder("session-model", dim=8)
    catalogue().add(first, "session", persist=False)
    assert "session-model" in catalogue().names(BackendKind.TEXT) and catalogue().origin("session-model") == "session"
    revision = catalogue().revision("session-model")
    catalogue().add(HashingEncoder("session-model", dim=8), "session", persist=False)
    assert catalogue().revision("session-model") != revision
    catalogue().remove("session-model")
    assert "session-model" not in catalogue().names()
    with pytest.raises(InputError, match="built-in model"):
        catalogue().add(HashingEncoder("minilm", dim=8), "session", persist=False)
    with pytest.raises(InputError, match="built-in model"):
        catalogue().remove("glove-6b-50d")
    with pytest.raises(InputError, match="No uploaded, trained or debiased model"):
        catalogue().remove("never-there")


def test_import_and_status_do_not_load_torch() -> None:
    """`embedlab models` must not pay for torch: importing the engine and listing models loads no model library."""
    import subprocess
    import sys

    code = ("import sys; from embedlab.backends import model_status; rows = model_status();"
            " print(len(rows), sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'gensim') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.split(" ", 1)[1].strip()
    from embedlab.device import ACCELERATOR_NODES

    if any(Path(node).exists() for node in ACCELERATOR_NODES):  # torch must be asked which device: only torch may load
        assert loaded in ("[]", "['torch']")
    else:
        assert loaded == "[]"


def test_preload_loads_a_model_once_in_the_background_and_leaves_errors_to_get() -> None:
    import importlib

    catalogue_module = importlib.import_module("embedlab.backends.catalogue")  # the module (the package exports a function of that name)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_loader() -> HashingEncoder:
        calls.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        return HashingEncoder("test-preload", dim=8)

    good = BackendSpec("test-preload", BackendKind.TEXT, 8, "none", "", "", slow_loader, lambda: None, lambda: "cpu")
    broken = BackendSpec("test-preload-broken", BackendKind.TEXT, 8, "none", "", "pip install x", lambda: pytest.fail("must not load"),
                         lambda: "weights missing", lambda: "cpu")
    models = Catalogue([good, broken])
    try:
        models.preload("test-preload")
        models.preload("test-preload")  # a second ask while loading starts nothing more
        assert started.wait(10) and calls == ["preload-test-preload"]  # not on the caller's thread
        release.set()
        assert models.get("test-preload").name == "test-preload" and len(calls) == 1
        models.preload("test-preload-broken")  # the failure stays quiet here...
        with pytest.raises(BackendUnavailableError, match="weights missing"):  # ...and is reported where the model is used
            models.get("test-preload-broken")
    finally:
        release.set()
        for name in ("test-preload", "test-preload-broken"):
            catalogue_module._LOADED.pop(name, None)
            catalogue_module._PRELOADING.discard(name)
