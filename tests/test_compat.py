"""The torchvision shim: applied on exactly the missing-op error, a no-op otherwise."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from embedlab import _compat


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)


def test_bare_torchvision_fails_here_and_shim_fixes_it() -> None:
    """On this CPU-only torch the CUDA torchvision build fails bare; through embedlab it imports."""
    bare = run_python("import torchvision")
    shimmed = run_python(
        """
        import sys
        import embedlab
        from embedlab import _compat
        assert "torch" not in sys.modules, "import embedlab must not load torch"
        _compat.ensure_torchvision_importable()  # what every torch model loader calls first
        import torchvision, sentence_transformers
        print("applied" if _compat.shim_applied else "not-needed", torchvision.__version__)
        """
    )
    assert shimmed.returncode == 0, shimmed.stderr[-2000:]
    if bare.returncode == 0:  # a matching torchvision: the shim must stay out of the way
        assert shimmed.stdout.startswith("not-needed")
    else:
        assert _compat.MISSING_OP_MESSAGE in bare.stderr
        assert shimmed.stdout.startswith("applied")


def test_shim_is_a_no_op_when_torchvision_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(_compat, "shim_applied", False)
    monkeypatch.setattr(_compat.importlib, "import_module", lambda name: calls.append(name))
    monkeypatch.setattr(_compat, "_define_missing_ops", lambda: calls.append("define"))
    assert _compat.ensure_torchvision_importable() is False
    assert calls == ["torchvision"]


def test_shim_reraises_other_runtime_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise RuntimeError("some other torchvision failure")

    monkeypatch.setattr(_compat, "shim_applied", False)
    monkeypatch.setattr(_compat.importlib, "import_module", broken)
    with pytest.raises(RuntimeError, match="some other"):
        _compat.ensure_torchvision_importable()


def test_shim_defines_ops_then_retries_on_the_missing_op_error(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []

    def flaky(name: str) -> None:
        attempts.append(name)
        if len(attempts) == 1:
            raise RuntimeError(f"{_compat.MISSING_OP_MESSAGE} (simulated)")

    defined: list[bool] = []
    monkeypatch.setattr(_compat, "shim_applied", False)
    monkeypatch.setattr(_compat.importlib, "import_module", flaky)
    monkeypatch.setattr(_compat, "_define_missing_ops", lambda: defined.append(True))
    assert _compat.ensure_torchvision_importable() is True
    assert attempts == ["torchvision", "torchvision"] and defined == [True]


def test_missing_torchvision_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> None:
        raise ModuleNotFoundError("No module named 'torchvision'")

    monkeypatch.setattr(_compat, "shim_applied", False)
    monkeypatch.setattr(_compat.importlib, "import_module", absent)
    assert _compat.ensure_torchvision_importable() is False
