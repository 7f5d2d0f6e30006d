"""Each task's statistics and timing checked against its parameters.

Tolerances are 5-sigma binomial intervals from the sample size (``binomial_tolerance``).
"""

import torch

from nmgym.tasks import CrossAreaXOR, CueReward, DistalReward, ReversalBandit, SustainedAttention, WaitForReward
from tests.conftest import binomial_tolerance, rollout


def test_cue_reward_timing_payoffs_and_cue_frequencies():
    task = CueReward(2000, seed=0)
    out = rollout(task, 10 * 40)  # 40 trials per agent
    t = torch.arange(400) % 10
    assert out["trial_end"].equal((t == 9).unsqueeze(-1).expand(-1, 2000))
    nonzero = out["reward"] != 0
    assert (nonzero.any(dim=1) <= (t == 7)).all()  # reward only ever at step 7
    end = out["trial_end"]
    cue, went, reward = out["cue"][end], out["go"][end], out["reward"][(t == 7)].flatten()
    assert torch.equal(reward[went & (cue == 0)], torch.ones(int((went & (cue == 0)).sum())))
    assert (reward[went & (cue != 0)] == -0.2).all() and (reward[~went] == 0).all()
    freq = torch.bincount(cue, minlength=4).float() / cue.numel()
    assert (freq - 0.25).abs().max() < binomial_tolerance(0.25, cue.numel())
    cue_obs = out["obs"][..., task.obs_slices["cue"]].sum(-1)
    shown = (cue_obs > 0).float().mean(dim=1)  # the cue is on at the next trial's steps 2 and 3
    assert torch.equal(shown > 0, torch.isin(torch.arange(400) % 10, torch.tensor([1, 2])))


def test_distal_reward_delays_jitter_distractors_and_pairing():
    task = DistalReward(3000, seed=1, delays=(0, 5, 10), jitter=3, distractor_rate=0.1)
    delays, jitters = [], []
    for _ in range(20):  # each reset draws a new trial: unbiased samples of the trial variables
        task.reset()
        delays.append(task.delay.clone())
        jitters.append(task.outcome_step - 1 - task.delay)
    delay, jitter = torch.cat(delays), torch.cat(jitters)
    freq = torch.bincount(delay, minlength=11)[[0, 5, 10]].float() / delay.numel()
    assert (freq - 1 / 3).abs().max() < binomial_tolerance(1 / 3, delay.numel())
    assert jitter.min().item() == 0 and jitter.max().item() == 3
    jfreq = torch.bincount(jitter, minlength=4).float() / jitter.numel()
    assert (jfreq - 0.25).abs().max() < binomial_tolerance(0.25, jitter.numel())

    # Each trial ends exactly at its outcome step, rewarded iff the choice matched the cue.
    task.reset(seed=1)
    length = task.outcome_step + 1
    out = rollout(task, 20)
    first_end = out["trial_end"].int().argmax(dim=0)
    assert torch.equal(first_end + 1, length)
    agents = torch.arange(3000)
    reward = out["reward"][first_end, agents]
    assert torch.equal(reward, (out["choice"][first_end, agents] == out["cue"][first_end, agents]).float())

    out = rollout(task, 150)
    distractors = out["obs"][..., task.obs_slices["distractors"]]
    in_cue_period = out["obs"][..., task.obs_slices["fixation"]][..., 0] > 0
    assert distractors[in_cue_period].sum() == 0  # nothing fires while the cue is on
    rate = distractors[~in_cue_period].mean().item()
    n = int((~in_cue_period).sum()) * task.params.n_distractors
    assert abs(rate - 0.1) < binomial_tolerance(0.1, n)


def test_reversal_bandit_payouts_reversals_and_session_end():
    task = ReversalBandit(1000, seed=2, reversal_every=50, trials_per_episode=200)
    out = rollout(task, 200)
    good, action, reward = out["good_arm"], out["action"], out["reward"]
    flips = (good[1:] != good[:-1]).float().mean(dim=1)
    expected = torch.zeros(199)
    expected[[49, 99, 149]] = 1.0
    assert torch.equal(flips, expected)  # every agent reverses exactly after trials 50, 100, 150
    high = reward[action == good]
    low = reward[action != good]
    assert abs(high.mean().item() - 0.8) < binomial_tolerance(0.8, high.numel())
    assert abs(low.mean().item() - 0.2) < binomial_tolerance(0.2, low.numel())
    assert not out["terminated"].any()
    assert out["truncated"][199].all() and not out["truncated"][:199].any()
    first = out["good_arm"][0].float().mean().item()
    assert abs(first - 0.5) < binomial_tolerance(0.5, 1000)
    prev = out["obs"][:199, :, task.obs_slices["prev_action"]].argmax(-1)  # obs k follows action k
    assert torch.equal(prev, action[:199])
    assert torch.equal(out["obs"][:199, :, task.obs_slices["prev_reward"]][..., 0], reward[:199])
    assert out["obs"][199, :, 1:].abs().sum() == 0  # a new session starts with no history


def test_sustained_attention_signal_statistics_and_distractor_block():
    task = SustainedAttention(2000, seed=3, distractor_after=10, noise_std=0.1)
    out = rollout(task, 7 * 30)
    end = out["trial_end"]
    duration = out["duration"][end]
    signal = duration > 0
    assert abs(signal.float().mean().item() - 0.5) < binomial_tolerance(0.5, duration.numel())
    dfreq = torch.bincount(duration[signal], minlength=5)[[1, 2, 4]].float() / int(signal.sum())
    assert (dfreq - 1 / 3).abs().max() < binomial_tolerance(1 / 3, int(signal.sum()))
    distractor = out["distractor"][end].view(30, 2000)
    assert not distractor[:10].any()
    share = distractor[10:].float().mean().item()
    assert abs(share - 0.5) < binomial_tolerance(0.5, distractor[10:].numel())
    # The signal channel holds exactly `duration` elevated steps per trial (noise 0.1: a 5-sigma margin).
    # obs k follows step k, so the obs at step t of trial j is row 7j + t - 1: shift by one.
    sig = out["obs"][..., task.obs_slices["signal"]][..., 0].roll(1, dims=0).view(30, 7, 2000)
    elevated = (sig[1:, :6] > 0.5).sum(1)
    durations = out["duration"][end].view(30, 2000)[1:]
    assert (elevated == durations).float().mean().item() > 0.99
    noise = sig[1:, :6][sig[1:, :6] < 0.5]
    assert abs(noise.std().item() - 0.1) < 0.005


def test_wait_for_reward_delays_omissions_timeout_and_leaving():
    task = WaitForReward(4000, seed=4, delays=(3, 6), omission_prob=0.25, timeout=10)
    draws = []
    for _ in range(10):  # each reset draws a new trial: unbiased samples
        task.reset()
        draws.append(torch.stack([task.omission.long(), task.delay]))
    omission, delay = torch.cat(draws, dim=1)
    assert abs(omission.float().mean().item() - 0.25) < binomial_tolerance(0.25, omission.numel())
    assert abs((delay == 3).float().mean().item() - 0.5) < binomial_tolerance(0.5, delay.numel())
    out = rollout(task, 200, policy="oracle")
    end = out["trial_end"]
    omission = out["omission"][end]
    waited = out["waited"][end]
    assert torch.equal(waited[omission], torch.full_like(waited[omission], 10))
    assert torch.equal(waited[~omission], out["delay"][end][~omission])
    assert (out["reward"][end][~omission] == 1).all() and (out["reward"][end][omission] == 0).all()
    assert torch.equal(out["truncated"][end], omission) and torch.equal(out["terminated"][end], ~omission)

    leaver = WaitForReward(100, seed=4, leave_reward=0.25)
    obs, reward, terminated, truncated, info = leaver.step(torch.ones(100, dtype=torch.int64))
    assert terminated.all() and not truncated.any() and (reward == 0.25).all() and (info["waited"] == 0).all()


def test_cross_area_xor_truth_table_and_one_bit_control():
    for rule, target in (("xor", lambda a, b: a ^ b), ("a", lambda a, b: a), ("b", lambda a, b: b)):
        task = CrossAreaXOR(4000, seed=5, rule=rule)
        go = torch.ones(4000, dtype=torch.int64)
        task.step(go)
        _, reward, terminated, _, info = task.step(go)
        a, b = info["bit_a"], info["bit_b"]
        assert terminated.all()
        assert torch.equal(reward, target(a, b).float())
        for bits in ((0, 0), (0, 1), (1, 0), (1, 1)):
            share = ((a == bits[0]) & (b == bits[1])).float().mean().item()
            assert abs(share - 0.25) < binomial_tolerance(0.25, 4000)


def test_wait_for_reward_shaping_grows_the_delays_to_full_length():
    task = WaitForReward(500, seed=6, delays=(40,), shaping_trials=4)
    seen = []
    for _ in range(6):
        seen.append(task.delay.clone())
        task.reset()
    # Trials 1..4 of shaping: ceil(40 * k / 4); full length from then on.
    assert [int(d.unique().item()) for d in seen] == [10, 20, 30, 40, 40, 40]
