"""The neuromodulated plastic circuit: plasticity kernels, modulators and lesions."""

from nmgym.circuit.circuit import LEVELS, Circuit
from nmgym.circuit.lesion import Lesion, Modulation, parse_lesion
from nmgym.circuit.params import CircuitParams

__all__ = ["LEVELS", "Circuit", "CircuitParams", "Lesion", "Modulation", "parse_lesion"]
