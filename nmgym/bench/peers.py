"""The peers' benchmarks, each in a virtual environment of its own, made on first use.

NeuroGym pins gymnasium 0.29 (and imports torch without declaring it), gymnax needs JAX: neither
may enter nmgym's environment. Each peer gets ``<root>/<name>`` (default root
``~/.cache/nmgym/bench-venvs``), its requirements pip-installed once, and its script
(``peer_<name>.py`` beside this file) run there; the script prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import torch

# name -> (pip requirements, script). NeuroGym imports torch: give it this process's version (on
# a machine with a local CPU wheel, pip takes that; elsewhere it downloads one).
PEERS: dict[str, tuple[list[str], str]] = {
    "neurogym": (["neurogym==2.3.1", f"torch=={torch.__version__.split('+')[0]}"], "peer_neurogym.py"),
    "gymnax": (["gymnax", "jax[cpu]", "six"], "peer_gymnax.py"),  # gymnax imports six undeclared
}


def default_root() -> Path:
    return Path(os.environ.get("NMGYM_BENCH_VENVS", Path.home() / ".cache" / "nmgym" / "bench-venvs"))


def python_of(root: Path, name: str) -> Path:
    return root / name / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure(name: str, root: Path, log=print) -> Path:
    """The peer's virtual environment's Python, creating and installing it if needed."""
    requirements, _ = PEERS[name]
    python = python_of(root, name)
    stamp = root / name / "nmgym-requirements.txt"
    if python.exists() and stamp.exists() and stamp.read_text() == "\n".join(requirements):
        return python
    log(f"installing {' '.join(requirements)} into {root / name} (once; takes a few minutes)")
    if not python.exists():
        venv.create(root / name, with_pip=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    stamp.write_text("\n".join(requirements))
    return python


def run(name: str, root: Path, args: list[str], log=print, timeout: float = 1800) -> dict:
    """Run the peer's script in its environment; its JSON, or ``{"error": why}`` if it failed."""
    try:
        python = ensure(name, root, log)
        script = Path(__file__).with_name(PEERS[name][1])
        env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore"}
        done = subprocess.run(
            [str(python), str(script), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"{name} exited with {done.returncode}: {' | '.join(tail)}"}
    return json.loads(done.stdout.strip().splitlines()[-1])
