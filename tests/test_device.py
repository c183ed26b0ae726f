"""resolve_device: EMBEDLAB_DEVICE, else cuda > mps > cpu."""

from __future__ import annotations

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


def test_this_machine_matches_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDLAB_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert resolve_device() == expected
