"""Checkpoints: a run saved as it goes, so that a killed run resumes where it was, bitwise.

An agent, its task, its circuit and the trial recorder keep everything that changes in tensors
(randomness too: it is counter based, :mod:`nmgym.counter_rng`) and a few plain values; what they
are built with (parameters, lesion, device, compiled kernels) is fixed at construction. A
checkpoint is every tensor and plain value reachable from those objects, saved in one
``torch.save`` (which keeps views and shared tensors shared), so the same constructors and
:meth:`Checkpoint.load` give back the run as it was at the saved step.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nmgym.results_folder import atomic_write

_PLAIN = (bool, int, float, str, type(None))
_OURS = ("nmgym.", "agents.")
# 2: the trial recorder's store has a column for what is not kept; 3: the circuit holds NE's level and a counter key
VERSION = 3


def _is_state(value: Any) -> bool:
    if isinstance(value, (torch.Tensor, *_PLAIN)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_state(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_state(item) for key, item in value.items())
    return False


def _descends(value: Any) -> bool:
    """Our objects hold state; dataclasses (parameters, a lesion) are settings."""
    return type(value).__module__.startswith(_OURS) and not dataclasses.is_dataclass(value)


def _is_setting(value: Any) -> bool:
    """What an object is built with and never changes: parameters and a lesion (dataclasses),
    kernels (callables), devices, dtypes, observation slices and read-only numpy arrays (a task's
    observation bounds). A writable array could change, so it is neither state nor setting."""
    if isinstance(value, (tuple, list)):
        return all(_is_setting(item) or _is_state(item) for item in value)
    if isinstance(value, dict):
        return all(_is_setting(item) or _is_state(item) for item in value.values())
    if isinstance(value, np.ndarray):
        return not value.flags.writeable
    settings = (slice, torch.device, torch.dtype)
    return isinstance(value, settings) or inspect.isroutine(value) or dataclasses.is_dataclass(value)


def capture(roots: dict[str, object]) -> dict[str, Any]:
    """Every tensor and plain value reachable from ``roots`` through our objects' attributes, by
    dotted path (an object reached twice is walked once, at its first path). Anything else must be
    a setting (see ``_is_setting``): state of another kind would be lost, so it is an error."""
    state: dict[str, Any] = {}
    seen: set[int] = set()

    def walk(obj: object, prefix: str) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for name, value in vars(obj).items():
            if _descends(value):
                walk(value, f"{prefix}{name}.")
            elif _is_state(value):
                state[prefix + name] = value
            elif not _is_setting(value):
                raise TypeError(
                    f"cannot checkpoint {prefix}{name}: a {type(value).__name__} is neither a tensor, a plain"
                    " value nor a setting fixed at construction, so a resumed run would lose it"
                )

    for name, root in roots.items():
        walk(root, f"{name}.")
    return state


def restore(roots: dict[str, object], state: dict[str, Any]) -> None:
    """Set the values ``capture`` took back onto objects built as those were (values an object
    made after it was built, at its first step, are made again)."""
    now = capture(roots)
    missing = sorted(now.keys() - state.keys())
    if missing:
        raise ValueError(f"the checkpoint does not fit these objects: it lacks {', '.join(missing[:5])}")
    for path, value in state.items():
        mine = now.get(path)
        if isinstance(mine, torch.Tensor) and (value.shape, value.dtype) != (mine.shape, mine.dtype):
            raise ValueError(
                f"the checkpoint does not fit these objects: {path} is {tuple(value.shape)} {value.dtype},"
                f" here {tuple(mine.shape)} {mine.dtype}"
            )
    for path, value in state.items():
        root, *parents, name = path.split(".")
        obj = roots[root]
        for parent in parents:
            obj = getattr(obj, parent)
        setattr(obj, name, value)


@dataclass
class Checkpoint:
    """Where a run saves itself, what run it is, and how often it saves.

    Args:
        path: the checkpoint file (written atomically: a kill leaves the previous one whole).
        identity: the run's settings; a file holding another run's checkpoint is refused.
        seconds: wall-clock seconds between saves.
        announce: say on stderr when a run resumes from the file (once it is known to fit).
    """

    path: Path
    identity: dict[str, Any] = field(default_factory=dict)
    seconds: float = 60.0
    announce: bool = False

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.seconds > 0:
            raise ValueError(f"checkpoint seconds={self.seconds!r} is not allowed; give a number > 0")

    def save(self, roots: dict[str, object], step: int) -> None:
        buffer = io.BytesIO()
        payload = {"version": VERSION, "identity": self.identity, "step": step, "state": capture(roots)}
        torch.save(payload, buffer)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, lambda handle: handle.write(buffer.getbuffer()))

    def load(self, roots: dict[str, object], device: torch.device) -> int:
        """Restore ``roots`` from the file, if there is one; return its step (0: none, start afresh)."""
        if not self.path.is_file():
            return 0
        try:
            payload = torch.load(self.path, map_location=device, weights_only=True)
        except Exception as error:  # torch.load's message suggests unsafe loading; the file is the cause
            raise ValueError(
                f"{self.path} is not a readable checkpoint (torch.load: {type(error).__name__}): delete it to start"
                " afresh"
            ) from error
        if not isinstance(payload, dict):
            raise ValueError(f"{self.path} is not a checkpoint of nmgym train: delete it to start afresh")
        if payload.get("version") != VERSION or payload.get("identity") != self.identity:
            theirs = payload.get("identity", {})
            differ = sorted(k for k in set(theirs) | set(self.identity) if theirs.get(k) != self.identity.get(k))
            raise ValueError(
                f"{self.path} is the checkpoint of another run ({', '.join(differ) or 'version'} differ):"
                " give another --out, or delete it to start afresh"
            )
        restore(roots, payload["state"])
        if self.announce:
            print(f"nmgym: resuming the run saved in {self.path} at step {payload['step']}", file=sys.stderr)
        return int(payload["step"])

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
