"""Baseline agents that act on nmgym tasks."""
