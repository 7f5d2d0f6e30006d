"""Matplotlib is optional: figures are drawn where it is installed, and their absence is said."""

from __future__ import annotations

import importlib.util
from typing import Any

MISSING = 'No figures: matplotlib is not installed (pip install "nmgym[plot]")'


def available() -> bool:
    """Whether matplotlib can be imported (checked without importing it)."""
    return importlib.util.find_spec("matplotlib") is not None


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
