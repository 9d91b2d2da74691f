"""The optional PyTorch accelerator: the NumPy engine's free and nudged phases run by PyTorch,
on the CPU or a CUDA GPU (``lava-eqprop train MODEL.toml --device cpu|cuda``).

It reads the same network description and runs the same dynamics as
:class:`~lava_eqprop.engine.relaxation.Relaxer` (the EP estimators, the optimizer and the trainer
are the engine's own): only the drives and the population steps are torch operations. Install
it with ``pip install "lava-eqprop[torch]"``; the package works without it.
"""

from __future__ import annotations

import importlib.util

from lava_eqprop.errors import LavaEqpropError

DEVICES = ("cpu", "cuda")


class TorchBackendError(LavaEqpropError, RuntimeError):
    """PyTorch is missing, or the device asked for is not there."""


def cpu_device_if_installed() -> str | None:
    """"cpu" when PyTorch is installed, else None (the NumPy engine): the device of the studies
    whose conv nets run faster with it."""
    return "cpu" if importlib.util.find_spec("torch") is not None else None


def require_torch():
    """The ``torch`` module, or a clear error saying how to install it."""
    try:
        import torch
    except ImportError:
        raise TorchBackendError(
            "--device needs PyTorch, which is not installed: pip install 'lava-eqprop[torch]' "
            "(or run without --device: the NumPy engine)") from None
    return torch


def torch_device(name: str):
    """The ``torch.device`` for ``name`` ("cpu" or "cuda"), checked to exist."""
    torch = require_torch()
    if name not in DEVICES:
        raise TorchBackendError(f"device {name!r} is not one of {list(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise TorchBackendError("--device cuda: PyTorch sees no CUDA GPU on this machine "
                                f"(torch {torch.__version__}); use --device cpu")
    return torch.device(name)
