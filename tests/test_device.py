"""resolve_device: EMBEDLAB_DEVICE, else cuda > mps > cpu."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from embedlab.device import resolve_device
from embedlab.errors import InputError


def test_environment_override_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("EMBEDLAB_DEVICE", "CPU")
    assert resolve_device() == "cpu"
    monkeypatch.setenv("EMBEDLAB_DEVICE", "cuda:1")
    assert resolve_device() == "cuda:1"


def test_bad_override_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDLAB_DEVICE", "gpu0")
    with pytest.raises(InputError, match="EMBEDLAB_DEVICE='gpu0'"):
        resolve_device()


def test_a_forced_device_that_is_not_here_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not torch's AssertionError later, inside the first encode."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("EMBEDLAB_DEVICE", "cuda:1")
    with pytest.raises(InputError, match=r"EMBEDLAB_DEVICE='cuda:1', but torch sees 1 CUDA device\(s\)"):
        resolve_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("EMBEDLAB_DEVICE", "cuda")
    with pytest.raises(InputError, match="torch sees no CUDA device"):
        resolve_device()
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("EMBEDLAB_DEVICE", "mps")
    with pytest.raises(InputError, match="no Apple MPS device"):
        resolve_device()


def test_cuda_before_mps_before_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDLAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device() == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device() == "cpu"


def test_the_resolved_device_runs_torch_and_minilm_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unpatched, on this machine: torch can allocate on the device we pick, and MiniLM says it runs there."""
    monkeypatch.delenv("EMBEDLAB_DEVICE", raising=False)
    device = resolve_device()
    assert torch.zeros(2, device=device).sum().item() == 0.0
    from embedlab.backends import get_text_encoder

    assert get_text_encoder("minilm").device == device


def test_no_accelerator_means_cpu_without_importing_torch() -> None:
    """`embedlab models` must not pay torch's import on a machine that has no accelerator."""
    import subprocess
    import sys

    from embedlab.device import ACCELERATOR_NODES

    if sys.platform == "darwin" or any(Path(node).exists() for node in ACCELERATOR_NODES):
        pytest.skip("this machine may have an accelerator: torch has to be asked")
    code = "import sys; from embedlab.device import resolve_device; print(resolve_device(), 'torch' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "EMBEDLAB_DEVICE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["cpu", "False"], out.stderr
