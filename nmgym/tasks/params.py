"""Frozen, validated task parameters (every task's ``Params`` derives from :class:`TaskParams`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self

from nmgym.validation import check_choice, check_float, check_int, check_int_tuple

__all__ = ["TaskParams", "check_choice", "check_float", "check_int", "check_int_tuple"]


@dataclass(frozen=True)
class TaskParams:
    """Parameters every task shares.

    Attributes:
        trials_per_episode: trials in one episode. With more than one, an episode is a session
            that ends by time limit after this many trials (``truncated``).
    """

    trials_per_episode: int = 1

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; subclasses extend this and call ``super().validate()``."""
        check_int(self, "trials_per_episode", low=1)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **overrides: Any) -> Self:
        """A copy with some fields changed; an unknown name raises ``ValueError`` listing the known ones."""
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(self.names())}"
            )
        return dataclasses.replace(self, **overrides)
