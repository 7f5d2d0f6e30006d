"""Output folders: each holds one kind of result, so one command never overwrites another's."""

from __future__ import annotations

from pathlib import Path

COMMANDS = {"train": "nmgym train", "study": "nmgym study", "reproduce": "nmgym reproduce"}


def folder_kind(folder: Path) -> str | None:
    """Which command's results ``folder`` holds (``train``, ``study`` or ``reproduce``), or None.

    A study writes ``manifest.json`` first; a reproduction keeps its studies under ``studies/``;
    a training run writes ``summary.json`` alone (a study's sits beside its manifest)."""
    if (folder / "manifest.json").is_file():
        return "study"
    if (folder / "effects.json").is_file() or (folder / "studies").is_dir():
        return "reproduce"
    if (folder / "summary.json").is_file():
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
