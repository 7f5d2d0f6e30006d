"""The ideal observers: Bayes' rule and the likelihood ratio by hand, and their ceilings."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import PlasticAgent, ReversalObserver, SignalObserver
from nmgym.study.metrics import METRICS
from nmgym.tasks import make_task


def bandit_obs(arm: int | None, reward: float) -> torch.Tensor:
    """ReversalBandit's observation: trial, prev_action (one-hot, zero on a first trial), prev_reward."""
    prev = [0.0, 0.0] if arm is None else [1.0 - arm, float(arm)]
    return torch.tensor([[1.0, *prev, reward]])


def test_reversal_observer_updates_its_belief_by_bayes_rule_and_the_hazard():
    agent = ReversalObserver(make_task("ReversalBandit", 1, seed=0, p_high=0.8, p_low=0.2, reversal_every=10))
    steps = [(None, 0.0, 0.5, 0), (0, 1.0, 0.74, 0), (0, 0.0, None, 1), (1, 1.0, None, 1), (None, 0.0, 0.5, 0)]
    belief = 0.5
    for arm, reward, by_hand, action in steps:
        agent.observe(bandit_obs(arm, reward), None, None, None)
        chosen = agent.act().item()
        if arm is None:  # a new episode restarts the belief
            belief = 0.5
        else:
            pulled_0 = arm == 0
            pay_0, pay_1 = (0.8, 0.2) if pulled_0 else (0.2, 0.8)
            like_0 = pay_0 if reward else 1 - pay_0
            like_1 = pay_1 if reward else 1 - pay_1
            belief = belief * like_0 / (belief * like_0 + (1 - belief) * like_1)
            belief = belief * 0.9 + (1 - belief) * 0.1
        if by_hand is not None:  # 0.5 * 0.8 / (0.5 * 0.8 + 0.5 * 0.2) = 0.8, then 0.8 * 0.9 + 0.2 * 0.1
            assert belief == pytest.approx(by_hand)
        assert agent.belief.item() == pytest.approx(belief, rel=1e-12)
        assert chosen == action


def test_signal_observer_computes_the_likelihood_ratio_over_lengths_and_onsets():
    task = make_task("SustainedAttention", 1, seed=0, stimulus_steps=3, signal_durations=(1, 2), noise_std=0.5)
    agent = SignalObserver(task)
    A, var = 1.0, 0.25
    for window in ([0.1, 0.9, -0.2], [0.0, 0.0, 0.0], [1.2, 1.1, 0.0], [-0.5, 0.4, 0.3]):
        u = [(A * x - A * A / 2) / var for x in window]
        pairs = [(1, o, 0.5 / 3) for o in range(3)] + [(2, o, 0.5 / 2) for o in range(2)]
        by_hand = math.log(sum(w * math.exp(sum(u[o : o + d])) for d, o, w in pairs))
        ratio = agent.log_likelihood_ratio(torch.tensor([window], dtype=torch.float64)).item()
        assert ratio == pytest.approx(by_hand, rel=1e-12)
        # fed the window step by step, it answers "signal" at the response step iff the ratio > 1
        actions = []
        for x in window:
            agent.observe(torch.tensor([[1.0, x, 0.0, 0.0]]), None, None, None)
            actions.append(agent.act().item())
        agent.observe(torch.tensor([[0.0, 0.0, 0.0, 1.0]]), None, None, None)
        assert actions == [0, 0, 0] and agent.act().item() == int(by_hand > 0)


def test_the_ideal_observers_sit_between_the_plastic_agent_and_the_oracle():
    """Fixed seeds, 64 agents. The omniscient oracle scores 1.0 on both tasks."""
    bandit = make_task("ReversalBandit", 64, seed=1)
    ideal = ReversalObserver(bandit, seed=1).run(500)["correct"][:, 400:].float().mean().item()
    plastic = PlasticAgent(make_task("ReversalBandit", 64, seed=1), seed=1, inputs=("trial",)).run(500)
    learned = plastic["correct"][:, 400:].float().mean().item()
    assert learned + 0.02 < ideal < 0.97, (learned, ideal)  # a reversal must be detected first (0.881 vs 0.908)
    records = SignalObserver(make_task("SustainedAttention", 64, seed=1), seed=1).run(300)
    m = METRICS["SustainedAttention"]({k: v.numpy() for k, v in records.items()}, {})
    hits = [float(np.mean(m[f"hits_l{d}"])) for d in (1, 2, 4)]
    assert hits[0] < hits[1] < hits[2] and hits[2] > 0.98  # noise hides only the brief signals
    assert 0.9 < float(np.mean(m["accuracy"])) < 0.98


def test_an_ideal_observer_drives_a_gymnasium_env_of_its_task_and_refuses_others():
    env = gym.make("nmgym/ReversalBandit-v0")
    records = ReversalObserver(env, seed=0).run(60)
    assert records["correct"].shape == (1, 60)
    with pytest.raises(TypeError, match="ReversalObserver drives ReversalBandit only; got CueReward"):
        ReversalObserver(make_task("CueReward", 2))
    with pytest.raises(TypeError, match="SignalObserver drives SustainedAttention only; got ReversalBandit"):
        SignalObserver(gym.make("nmgym/ReversalBandit-v0"))
