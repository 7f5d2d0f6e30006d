"""The README's Python examples run as a new user would paste them: each block alone, in a fresh
interpreter, outside the repository."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)

# What a block may need beyond the core install (its extra), by the module it imports.
EXTRAS = ("stable_baselines3", "torchrl")
# Shortened here only: SB3's default rollout (2048 steps per env) and ten epochs over it take half
# a minute on two cores. Each text must stand in its block, so an edit there cannot slip past.
SHORTER = {'PPO("MlpPolicy", venv, seed=0)': 'PPO("MlpPolicy", venv, seed=0, n_steps=32, n_epochs=1)'}


def first_line(block: str) -> str:
    return block.splitlines()[0][:60]


def test_the_readme_has_its_examples():
    assert len(BLOCKS) >= 5
    assert all(sum(old in block for block in BLOCKS) == 1 for old in SHORTER)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{i}:{first_line(block)}" for i, block in enumerate(BLOCKS)])
def test_a_readme_example_runs_alone(block: str, tmp_path: Path):
    for module in EXTRAS:
        needed = re.search(rf"^\s*(from|import) {module}\b", block, flags=re.M)
        if needed and importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    for old, new in SHORTER.items():
        block = block.replace(old, new)
    if not torch.cuda.is_available():
        block = block.replace('device="cuda"', 'device="cpu"')
    run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]


def readme_commands(program: str) -> list[str]:
    """The README's command lines that start with ``program``, in its shell blocks (comments cut)."""
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S))
    lines = (line.split("#")[0].strip() for line in shell.splitlines())
    return [line for line in lines if line.startswith(program + " ")]


def test_the_readmes_nmgym_commands_name_real_tasks_lesions_and_parameters():
    from nmgym.circuit import CircuitParams, parse_lesion
    from nmgym.cli import build_parser
    from nmgym.tasks import TASKS

    commands = readme_commands("nmgym")
    assert len(commands) >= 5
    for line in commands:
        args = build_parser().parse_args(shlex.split(line)[1:])  # exits (fails the test) on a flag it lacks
        assert getattr(args, "task", None) in (None, *TASKS), line
        lesions = getattr(args, "lesion", None) or []  # one spec for train, a list for study
        for spec in [lesions] if isinstance(lesions, str) else lesions:
            parse_lesion(spec)
    # --circuit NAME=VALUE anywhere in the README or the notes it links, prose included
    notes = "".join(path.read_text() for path in sorted((README.parent / "docs").glob("*.md")))
    names = re.findall(r"--circuit\s+([a-z0-9_]+)=", README.read_text() + notes)
    assert names and set(names) <= set(CircuitParams.names()), set(names) - set(CircuitParams.names())


def test_the_readmes_scripts_run_and_take_the_flags_it_gives():
    commands = readme_commands("python")
    assert len(commands) >= 5
    for line in commands:
        script, *words = shlex.split(line)[1:]
        usage = subprocess.run(
            [sys.executable, script, "--help"], cwd=README.parent, capture_output=True, text=True, timeout=120
        )
        assert usage.returncode == 0, usage.stderr[-2000:]
        for flag in (word for word in words if word.startswith("--")):
            assert flag in usage.stdout, f"{script} has no {flag}"


def heading_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def prose(document: Path) -> str:
    """A Markdown file without its fenced code blocks (their comments are not headings)."""
    return re.sub(r"^```.*?^```", "", document.read_text(), flags=re.S | re.M)


def test_the_readmes_and_notes_links_reach_their_files_and_headings():
    documents = [README, *sorted((README.parent / "docs").rglob("*.md"))]
    links = 0
    for document in documents:
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(document)):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path) if path else document
            assert linked.exists(), f"{document.name} links to {target}, which does not exist"
            if anchor and linked.suffix == ".md":
                anchors = {heading_anchor(h) for h in re.findall(r"^#+ (.*)$", prose(linked), flags=re.M)}
                assert anchor in anchors, f"{document.name} links to {target}, a heading {linked.name} lacks"
            links += 1
    assert links >= 10
