"""Output folders: each holds one kind of result, so one command never overwrites another's; and
the writes into them, each file complete or absent."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

COMMANDS = {"train": "nmgym train", "study": "nmgym study", "reproduce": "nmgym reproduce"}
CHECKPOINT = "checkpoint.pt"  # a training run's, while it runs


def folder_kind(folder: Path) -> str | None:
    """Which command's results ``folder`` holds (``train``, ``study`` or ``reproduce``), or None.

    A study writes ``manifest.json`` first; a reproduction keeps its studies under ``studies/``;
    a training run writes ``summary.json`` alone (a study's sits beside its manifest), and
    ``checkpoint.pt`` while it runs."""
    if (folder / "manifest.json").is_file():
        return "study"
    if (folder / "effects.json").is_file() or (folder / "studies").is_dir():
        return "reproduce"
    if (folder / "summary.json").is_file() or (folder / CHECKPOINT).is_file():
        return "train"
    return None


def check_folder(folder: str | Path, kind: str) -> Path:
    """Raise ``ValueError`` if ``folder`` is a file or holds another command's results; return it.

    Nothing is created, so a command can check its folder before it spends any time."""
    if kind not in COMMANDS:
        raise ValueError(f"unknown kind of results {kind!r}; known: {', '.join(COMMANDS)}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {folder} is a file; give a folder (a new one, or one `{COMMANDS[kind]}` wrote)")
    found = folder_kind(folder) if folder.is_dir() else None
    if found is not None and found != kind:
        raise ValueError(
            f"--out {folder} holds the results of `{COMMANDS[found]}`; `{COMMANDS[kind]}` would overwrite"
            " them: choose another --out or delete that folder"
        )
    return folder


def make_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) and make sure a file can be written in it, so that a
    run finds out before it starts, not when its first results are due; ``ValueError`` if not."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ValueError(f"cannot write results to --out {folder}: {error.strerror or error}") from error
    return folder


def _file_mode() -> int:
    """The mode ``open()`` gives a new file (0o666 less the umask): ``mkstemp``'s 0o600 would
    leave results unreadable to the rest of a lab."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


def atomic_write(path: Path, write: Callable[[Any], None], binary: bool = True) -> None:
    """Write ``path`` through ``write(handle)`` so that the file is either complete or absent: a
    temporary file beside it, synced, then renamed over it."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        os.chmod(tmp, FILE_MODE)
        with os.fdopen(fd, "wb" if binary else "w") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(folder: Path, older_than: float = 600.0) -> list[Path]:
    """Delete the temporary files :func:`atomic_write` left in ``folder`` when a kill stopped it
    mid-write (``SIGKILL`` gives it no say), untouched for ``older_than`` seconds: a write takes
    well under that, so another process still writing into the folder keeps its own. Returns them."""
    stale = []
    now = time.time()
    for path in folder.glob(".tmp-*"):
        try:
            if now - path.stat().st_mtime >= older_than:
                path.unlink()
                stale.append(path)
        except FileNotFoundError:  # renamed or removed meanwhile
            continue
    return stale


def atomic_write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` so that the file is either complete or absent."""
    atomic_write(path, lambda handle: np.savez(handle, **arrays), binary=True)  # type: ignore[arg-type]  # numpy's stub: a key could be allow_pickle


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file is either complete or absent."""
    atomic_write(path, lambda handle: handle.write(text), binary=False)
