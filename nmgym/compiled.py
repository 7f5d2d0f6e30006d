"""``torch.compile`` with a clean fallback: one wrapper for every compiled kernel of nmgym."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch

RECOMPILE_LIMIT = 64


class Compiled:
    """``torch.compile(fusible)``, falling back to ``eager`` (default: ``fusible`` itself) with one
    warning where compiling fails, e.g. on a machine without a C++ compiler. Both compute the
    same thing, so an error in the arguments surfaces from the eager function."""

    def __init__(self, fusible: Callable[..., Any], eager: Callable[..., Any] | None = None) -> None:
        # One compiled graph per task class, shape and parameter set: more than dynamo's default
        # of 8 per function when a process builds many tasks and circuits.
        config = torch._dynamo.config
        name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
        setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))
        self._compiled = torch.compile(fusible, dynamic=False)
        self._eager = eager or fusible
        self.failed: str | None = None

    def __call__(self, *args: Any) -> Any:
        if self.failed is None:
            try:
                return self._compiled(*args)
            except Exception as error:  # any backend failure means: run eagerly
                self.failed = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
                warnings.warn(f"torch.compile failed ({self.failed}); running the eager kernels", stacklevel=2)
        return self._eager(*args)


def skips_idle_work(device: torch.device, compile: bool) -> bool:
    """Whether a step may skip work that a mask shows changes nothing (no trial ends, no NE reset):
    eagerly on the CPU, where reading the mask waits for nothing. On an accelerator it would wait
    for the device, and a compiled step has no branches, so there every step does all of it."""
    return device.type == "cpu" and not compile


def compiled_if(
    enabled: bool, fusible: Callable[..., Any], eager: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """``Compiled(fusible, eager)`` when ``enabled``, else the eager function itself."""
    eager = eager or fusible
    return Compiled(fusible, eager) if enabled else eager
