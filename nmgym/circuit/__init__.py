"""The neuromodulated plastic circuit: plasticity kernels, modulators and lesions."""

from nmgym.circuit.circuit import LEVELS, Circuit, attention_gain
from nmgym.circuit.lesion import Lesion, Modulation, parse_lesion
from nmgym.circuit.params import CircuitParams

__all__ = ["LEVELS", "Circuit", "CircuitParams", "Lesion", "Modulation", "attention_gain", "parse_lesion"]
