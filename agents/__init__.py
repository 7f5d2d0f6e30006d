"""Baseline agents that act on nmgym tasks: the plastic circuit, TD/Q-learning, random, and the
ideal observers of the two tasks whose oracle no learner can reach."""

from agents.base import Agent
from agents.ideal import IDEAL_OBSERVERS, ReversalObserver, SignalObserver
from agents.plastic import PlasticAgent
from agents.random_agent import RandomAgent
from agents.td import TDAgent
from agents.world import World

AGENTS = {"plastic": PlasticAgent, "td": TDAgent, "random": RandomAgent}

__all__ = [
    "AGENTS",
    "IDEAL_OBSERVERS",
    "Agent",
    "PlasticAgent",
    "RandomAgent",
    "ReversalObserver",
    "SignalObserver",
    "TDAgent",
    "World",
]
