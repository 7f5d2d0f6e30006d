"""Baseline agents that act on nmgym tasks: the plastic circuit, TD/Q-learning and random."""

from agents.base import Agent
from agents.plastic import PlasticAgent
from agents.random_agent import RandomAgent
from agents.td import TDAgent
from agents.world import World

AGENTS = {"plastic": PlasticAgent, "td": TDAgent, "random": RandomAgent}

__all__ = ["AGENTS", "Agent", "PlasticAgent", "RandomAgent", "TDAgent", "World"]
