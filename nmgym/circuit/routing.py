"""Which observation channels a circuit receives, and which area each one feeds."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def route_inputs(
    slices: dict[str, slice], inputs: Sequence[str] | None, n_areas: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Columns of the observation to feed the circuit, and the ``[n_areas, len(columns)]`` routing.

    ``inputs`` names the observation sub-spaces to keep (all if ``None``; one name may be a
    string). Sub-spaces named ``area_a``, ``area_b``, ... feed only the matching area (as in
    CrossAreaXOR); the rest feed every area. An unknown name raises ``ValueError`` listing the sub-spaces there are.
    """
    names = list(slices) if inputs is None else [inputs] if isinstance(inputs, str) else list(inputs)
    unknown = [name for name in names if name not in slices]
    if unknown or not names:
        raise ValueError(f"unknown input sub-space(s) {unknown} in inputs={inputs!r}; this env has {list(slices)}")
    columns = torch.cat([torch.arange(slices[name].start, slices[name].stop) for name in names])
    areas = torch.ones(n_areas, len(columns), dtype=torch.bool)
    start = 0
    for name in names:
        width = slices[name].stop - slices[name].start
        area = ord(name[-1]) - ord("a") if name.startswith("area_") and len(name) == 6 else -1
        if 0 <= area < n_areas:
            areas[:, start : start + width] = False
            areas[area, start : start + width] = True
        start += width
    return columns, areas
