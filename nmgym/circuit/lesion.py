"""Lesions and pharmacology as data: the spec grammar.

A spec is tokens joined by ``+``; ``none`` (or an empty string) is the intact circuit.

=====================  ===================================================================
token                  meaning
=====================  ===================================================================
``da``                 dopamine removed (level scaled to 0): no prediction error reaches
                       any synapse
``ne=0.3``             noradrenaline scaled to 30% (any modulator: ``da``, ``ne``, ``ach``,
                       ``5ht``; a scale above 1 is a pharmacological boost)
``ach:clamp=0.5``      acetylcholine held at a tonic 0.5, with no phasic signal
``da:delay=5``         dopamine released 5 steps late (at most 10000)
``tags``               no eligibility trace: a synapse keeps no tag between steps
``tags=0.5``           tags decay twice as fast (time constant scaled by 0.5)
``longrange``          no cross-area coupling (``longrange=0.5``: coupling halved)
=====================  ===================================================================

Options combine: ``da=0.5:delay=3+longrange``. Parsing errors name the bad token and list what
is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MODULATORS = ("da", "ne", "ach", "5ht")
STRUCTURES = ("tags", "longrange")
OPTIONS = ("clamp", "delay")
MAX_DELAY = 10_000  # steps: far past any task's trial, and 10001 levels x 4096 agents is 164 MB
_HELP = (
    "allowed: none, or tokens joined by '+': "
    + ", ".join(MODULATORS)
    + " (each optionally =SCALE, :clamp=LEVEL, :delay=STEPS), "
    + ", ".join(STRUCTURES)
    + " (optionally =SCALE)"
)


@dataclass(frozen=True)
class Modulation:
    """How one modulator is altered: its level is ``clamp`` if set, else ``scale`` x the intact
    level, released ``delay`` steps late."""

    scale: float = 1.0
    clamp: float | None = None
    delay: int = 0

    @property
    def intact(self) -> bool:
        return self.scale == 1.0 and self.clamp is None and self.delay == 0


@dataclass(frozen=True)
class Lesion:
    """A parsed lesion spec: one :class:`Modulation` per modulator, and structural scales."""

    spec: str = "none"
    da: Modulation = field(default_factory=Modulation)
    ne: Modulation = field(default_factory=Modulation)
    ach: Modulation = field(default_factory=Modulation)
    sht: Modulation = field(default_factory=Modulation)  # serotonin, written ``5ht`` in specs
    tags: float = 1.0  # scale of the tag time constant (0: no tags)
    longrange: float = 1.0  # scale of cross-area coupling

    def modulation(self, name: str) -> Modulation:
        """The :class:`Modulation` of ``da``, ``ne``, ``ach`` or ``5ht``."""
        return getattr(self, "sht" if name == "5ht" else name)

    @property
    def intact(self) -> bool:
        mods = all(self.modulation(m).intact for m in MODULATORS)
        return mods and self.tags == 1.0 and self.longrange == 1.0


def _number(text: str, token: str, spec: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"bad {what} {text!r} in lesion token {token!r} of {spec!r}: must be a number >= 0")
    return value


def parse_lesion(spec: str | Lesion | None) -> Lesion:
    """Parse a lesion spec (see the module docstring); a :class:`Lesion` passes through."""
    if isinstance(spec, Lesion):
        return spec
    if spec is None:
        spec = "none"
    if not isinstance(spec, str):
        raise TypeError(f"a lesion spec must be a string such as 'da+ne=0.3'; got {type(spec).__name__}")
    text = "".join(spec.split()).lower()  # 'ne = 0.3' and 'ne=0.3' name one condition
    if text in ("", "none", "intact"):
        return Lesion(spec="none")
    values: dict[str, object] = {}
    for token in text.split("+"):
        head, *options = token.split(":")
        name, eq, scale_text = head.partition("=")
        if name not in MODULATORS + STRUCTURES:
            raise ValueError(f"unknown lesion token {token!r} in {spec!r}; {_HELP}")
        if eq and not scale_text:
            raise ValueError(f"missing scale after '=' in lesion token {token!r} of {spec!r}; {_HELP}")
        key = "sht" if name == "5ht" else name
        if key in values:
            raise ValueError(f"lesion token {name!r} appears twice in {spec!r}; give each once")
        scale = _number(scale_text, token, spec, "scale") if scale_text else 0.0
        if name in STRUCTURES:
            if options:
                raise ValueError(f"lesion token {token!r} in {spec!r} takes no options; {_HELP}")
            values[key] = scale
            continue
        clamp, delay = None, 0
        for option in options:
            opt, eq, value = option.partition("=")
            if opt not in OPTIONS or not eq:
                raise ValueError(f"unknown option {option!r} in lesion token {token!r} of {spec!r}; {_HELP}")
            if opt == "clamp":
                clamp = _number(value, token, spec, "clamp level")
            else:
                if not (value.isascii() and value.isdigit()) or int(value) > MAX_DELAY:
                    raise ValueError(
                        f"bad delay {value!r} in lesion token {token!r} of {spec!r}: must be steps from 0 to "
                        f"{MAX_DELAY} (the delay line keeps that many levels per agent)"
                    )
                delay = int(value)
        if options and not scale_text:
            scale = 1.0  # 'da:delay=5' delays an intact signal; 'ach:clamp=0.5' replaces it
        values[key] = Modulation(scale=scale, clamp=clamp, delay=delay)
    return Lesion(spec=text, **values)  # type: ignore[arg-type]
