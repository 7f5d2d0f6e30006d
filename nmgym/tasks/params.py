"""Frozen, validated task parameters (every task's ``Params`` derives from :class:`TaskParams`)."""

from __future__ import annotations

from dataclasses import dataclass

from nmgym.validation import Replaceable, check_bool, check_choice, check_float, check_int, check_int_tuple

__all__ = ["TaskParams", "check_bool", "check_choice", "check_float", "check_int", "check_int_tuple"]


@dataclass(frozen=True)
class TaskParams(Replaceable):
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
