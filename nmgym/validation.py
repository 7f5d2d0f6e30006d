"""Field checks for frozen parameter dataclasses.

Each check raises ``ValueError`` naming the owner, the field, its value and what is allowed, so
an impossible setting never reaches a kernel.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, Self

import numpy as np
import torch


def _refuse(owner: str, name: str, value: Any, allowed: str) -> None:
    prefix = f"{owner}: " if owner else ""
    raise ValueError(f"{prefix}{name}={value!r} is not allowed; {name} must be {allowed}")


def _fail(owner: object, name: str, value: Any, allowed: str) -> None:
    _refuse(type(owner).__name__, name, value, allowed)


def check_integer(value: Any, name: str, *, owner: str = "", low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer (numpy's too; not a bool) within ``[low, high]``;
    otherwise ``ValueError`` naming ``owner`` (if given), ``name``, the value and what is allowed.
    For arguments; :func:`check_int` checks a field."""
    allowed = "an integer" + (f" >= {low}" if low is not None else "") + (f" <= {high}" if high is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _refuse(owner, name, value, allowed)
    if (low is not None and value < low) or (high is not None and value > high):
        _refuse(owner, name, value, allowed)
    return int(value)


def check_int(owner: object, name: str, low: int | None = None, high: int | None = None) -> None:
    """Require an integer field within ``[low, high]`` (a numpy integer is stored as an ``int``)."""
    value = check_integer(getattr(owner, name), name, owner=type(owner).__name__, low=low, high=high)
    object.__setattr__(owner, name, value)


def check_float(
    owner: object, name: str, low: float | None = None, high: float | None = None, *, open_low: bool = False
) -> None:
    """Require a finite real field within ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    value = getattr(owner, name)
    parts = ["a finite number"]
    if low is not None:
        parts.append(f"{'>' if open_low else '>='} {low}")
    if high is not None:
        parts.append(f"<= {high}")
    allowed = " ".join(parts)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(owner, name, value, allowed)
    too_low = low is not None and (value <= low if open_low else value < low)
    if too_low or (high is not None and value > high):
        _fail(owner, name, value, allowed)
    object.__setattr__(owner, name, float(value))


def check_int_tuple(owner: object, name: str, low: int = 0, high: int | None = None) -> None:
    """Require a non-empty tuple (a list is accepted and frozen) of integers in ``[low, high]``."""
    value = getattr(owner, name)
    allowed = f"a non-empty tuple of integers >= {low}" + (f" and <= {high}" if high is not None else "")
    if isinstance(value, list):
        value = tuple(value)
    ok = isinstance(value, tuple) and len(value) > 0
    ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ok = ok and all(v >= low and (high is None or v <= high) for v in value)
    if not ok:
        _fail(owner, name, getattr(owner, name), allowed)
    object.__setattr__(owner, name, value)


def check_flag(value: Any, name: str, *, owner: str = "") -> bool:
    """``value`` as a ``bool`` if it is ``True`` or ``False`` (numpy's too); otherwise ``ValueError``
    naming ``owner`` (if given) and ``name``: a string such as ``"no"`` would read as true. For
    arguments; :func:`check_bool` checks a field."""
    if not isinstance(value, (bool, np.bool_)):
        _refuse(owner, name, value, "True or False")
    return bool(value)


def check_bool(owner: object, name: str) -> None:
    """Require a boolean field (see :func:`check_flag`), stored as a ``bool``."""
    object.__setattr__(owner, name, check_flag(getattr(owner, name), name, owner=type(owner).__name__))


def check_choice(owner: object, name: str, choices: tuple[object, ...]) -> None:
    """Require a field to be one of ``choices``."""
    value = getattr(owner, name)
    if value not in choices:
        _fail(owner, name, value, "one of " + ", ".join(repr(c) for c in choices))


def check_device(device: str | torch.device) -> torch.device:
    """The concrete torch device for ``device`` (``"cuda"`` -> ``cuda:0``), or ``ValueError`` saying
    why it cannot be used: a name torch does not know, or an accelerator this machine lacks."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps ({error})") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
            raise ValueError(f"device {device!r} is not available: {why}; use cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} is not available: {torch.cuda.device_count()} CUDA GPU(s) visible")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} is not available on this machine; use cpu")
    try:
        return torch.empty(0, device=dev).device
    except (RuntimeError, AssertionError) as error:
        raise ValueError(f"device {device!r} is not usable here ({error}); use cpu") from None


class Replaceable:
    """Mixin for frozen dataclasses: ``names()`` and a checked ``replace(**overrides)``."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def given(cls, params: Any, owner: str, example: str = "") -> Self:
        """``params`` as ``owner`` received it: the defaults for ``None``; anything but an instance
        (a dict, say) is refused with the way to build one (``example``: keyword arguments)."""
        if params is None:
            return cls()
        if not isinstance(params, cls):
            name = cls.__name__
            built = f"{name}({example}) or " if example else ""
            raise TypeError(
                f"{owner}: params must be a {name}, e.g. {built}{name}().replace(**overrides); "
                f"got {type(params).__name__}"
            )
        return params

    def replace(self, **overrides: Any) -> Self:
        """A copy with some fields changed; an unknown name raises ``ValueError`` listing the known ones."""
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(self.names())}"
            )
        return dataclasses.replace(self, **overrides)  # type: ignore[type-var]
