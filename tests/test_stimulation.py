"""Known answers for the circuit's stimulation input (``Circuit.stimulate``)."""

import math

import pytest
import torch

from nmgym.circuit import Circuit, CircuitParams, attention_gain


def make(B: int = 2, lesion: str | None = None, **params: float) -> Circuit:
    return Circuit(B, 3, 2, CircuitParams(**params), lesion, seed=4, record=True)


def run(circuit: Circuit, steps: int = 6) -> None:
    """A few steps of a tiny trial stream: input, act, outcome, learn."""
    B = circuit.B
    x = torch.tensor([[1.0, 0.0, 1.0]]).expand(B, 3)
    circuit.forward(x)
    for t in range(steps):
        circuit.act()
        circuit.forward(x, reset=torch.full((B,), t % 2 == 1))
        circuit.learn(
            torch.full((B,), float(t % 3 == 0)), torch.zeros(B, dtype=torch.bool), torch.full((B,), t % 2 == 1)
        )


def stim(B: int, da: float = 0.0, ne: float = 0.0, ach: float = 0.0, sht: float = 0.0) -> torch.Tensor:
    return torch.tensor([[da, ne, ach, sht]]).expand(B, 4).clone()


def test_zero_stimulation_changes_nothing():
    plain, zero = make(), make()
    zero.stimulate(stim(2))
    run(plain)
    run(zero)
    for name in ("W_in", "W_loc", "W_lr", "W_pi", "W_v", "h", "ne", "gain", "gamma", "coupling"):
        assert torch.equal(getattr(plain, name), getattr(zero, name)), name
    assert not make().stimulated and torch.equal(make().stimulation, torch.zeros(2, 4))


def test_da_stimulation_is_the_dopamine_a_da_lesioned_circuit_lacks():
    lesioned = make(lesion="da")
    run(lesioned)
    assert torch.equal(lesioned.W_v, torch.zeros_like(lesioned.W_v))  # no dopamine: nothing captured
    circuit = make(lesion="da")
    circuit.stimulate(stim(2, da=0.5))
    x = torch.tensor([[1.0, 0.0, 1.0]]).expand(2, 3)
    circuit.forward(x)
    circuit.act()
    E_v, norm = circuit.E_v.clone(), circuit.readout_norm[:, 1].clone()  # the critic's
    circuit.forward(x)
    circuit.learn(torch.zeros(2), torch.zeros(2, dtype=torch.bool))
    assert torch.equal(circuit.levels["da"][-1], torch.full((2,), 0.5))
    rate = 0.5 * (1.0 + 2.0 * circuit.ne) * circuit.p.lr_critic / norm
    torch.testing.assert_close(circuit.W_v, rate.view(2, 1, 1) * E_v)


@pytest.mark.parametrize(("level", "expected"), [(0.3, 0.3), (2.0, 1.0), (-1.0, 0.0)])
def test_ne_stimulation_is_added_and_clamped(level, expected):
    circuit = make(lesion="ne")
    circuit.stimulate(stim(2, ne=level))
    run(circuit, steps=1)
    assert torch.equal(circuit.ne, torch.full((2,), expected))
    circuit.forward(torch.zeros(2, 3))
    torch.testing.assert_close(circuit._pre[4].flatten(), torch.full((2,), 1.0 + 0.5 * expected))  # NE gain


def test_ne_stimulation_above_half_triggers_the_network_reset():
    # no policy compression: only the reset changes the readouts at this step
    # one latent context: the reset cuts the labile bias (with two it may swap it instead)
    circuit, plain = (make(lesion="ne", policy_compression=0.0, ne_contexts=1) for _ in range(2))
    run(circuit, steps=4)
    run(plain, steps=4)
    circuit.stimulate(stim(2, ne=1.0))
    before, labile = circuit.W_pi.clone(), circuit.L_pi.clone()
    x = torch.tensor([[1.0, 0.0, 1.0]]).expand(2, 3)
    circuit.act(torch.zeros(2, dtype=torch.int64))
    circuit.forward(x, reset=torch.ones(2, dtype=torch.bool))
    E, norm = circuit.E_pi.clone(), circuit.readout_norm[:, 0].clone()  # the actor's
    circuit.learn(torch.zeros(2), torch.zeros(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool))
    da = circuit.levels["da"][-1]
    gate = (da.abs() > circuit.p.capture_threshold).float()
    step = (da * 3.0 * gate * circuit.p.lr_actor / norm).view(2, 1, 1) * E
    captured, labile = before + step, (labile + step) * circuit.labile_keep
    p = circuit.p
    mean_in = torch.cat([circuit.readout_mean[:, :-1], torch.ones(2, 1)], dim=1)
    removed = labile * p.ne_reset_selective  # the reset takes from the labile part only
    removed[:, :, -1] += (p.ne_reset - p.ne_reset_selective) * (labile @ mean_in.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(circuit.W_pi, captured - removed)
    torch.testing.assert_close(circuit.L_pi, labile - removed)
    assert torch.equal(circuit.refractory, torch.full((2,), circuit.p.ne_refractory))


def test_ach_stimulation_sets_gain_and_coupling():
    circuit = make()
    run(circuit)
    circuit.stimulate(stim(2, ach=0.5))
    assert torch.equal(circuit.ach, torch.full((2,), 1.5))
    c0 = circuit.p.longrange_scale
    torch.testing.assert_close(circuit.coupling, torch.full((2,), c0 * (1 + 0.5 * 0.5)))
    assert torch.equal(circuit.gain, attention_gain(circuit.relevance, circuit.ach, circuit.p.ach_attention))
    circuit.stimulate(stim(2, ach=-3.0))  # clamped at 0: no attention, coupling halved
    assert torch.equal(circuit.gain, torch.ones_like(circuit.gain))
    torch.testing.assert_close(circuit.coupling, torch.full((2,), c0 * 0.5))


def test_5ht_stimulation_sets_discount_threshold_and_coupling():
    circuit = make()
    circuit.stimulate(stim(2, sht=-0.5))
    assert torch.equal(circuit.sht, torch.full((2,), 0.5))
    torch.testing.assert_close(circuit.gamma, torch.full((2,), 1 - 1 / (5.0 + 95.0 * 0.5)))
    torch.testing.assert_close(circuit.coupling, torch.full((2,), circuit.p.longrange_scale / (1 + 0.3 * -0.5)))
    # the capture threshold is 0.01 x 5-HT: a 0.007 dopamine pulse is captured at 5-HT 0.5, not at 1
    for sht, moves in ((-0.5, True), (0.0, False)):
        c = make(lesion="da", lr_actor=0.0, lr_hidden=0.0)
        c.stimulate(stim(2, da=0.007, sht=sht))
        run(c, steps=1)
        assert bool((c.W_v != 0).any()) is moves
    circuit.stimulate(stim(2, sht=-2.0))
    assert torch.equal(circuit.sht, torch.zeros(2))
    torch.testing.assert_close(circuit.gamma, torch.full((2,), 1 - 1 / 5.0))


def test_stimulation_off_restores_the_tonic_levels():
    circuit, plain = make(lesion="ach=0.5"), make(lesion="ach=0.5")
    circuit.stimulate(stim(2, ach=0.4, sht=0.7))
    circuit.stimulate(None)
    assert not circuit.stimulated
    for name in ("ach", "sht", "gamma", "coupling", "gain", "stimulation"):
        assert torch.equal(getattr(circuit, name), getattr(plain, name)), name
    assert math.isclose(float(circuit.ach[0]), 0.5)


def test_bad_stimulation_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"shape \(2, 4\); got \(2, 3\)"):
        make().stimulate(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="got list"):
        make().stimulate([[0.0] * 4] * 2)


@pytest.mark.parametrize("lesion", [None, "ne:delay=4"])
def test_ne_held_between_trial_ends_follows_resets_and_stimulation(lesion):
    """On the CPU the circuit keeps NE's level between trial ends. Trials of seven steps pay 1,
    then nothing: NE fires and resets at a trial end, which moves its running means after the
    level was read; and stimulation is switched on and off within trials. The held level follows
    both at once, bitwise as a circuit that recomputes it every step; behind a delay line, which
    moves the level every step, nothing is held."""
    runs = []
    for skip in (True, False):
        circuit = make(B=3, lesion=lesion)
        circuit._skip_idle = skip
        x = torch.tensor([[1.0, 0.0, 1.0]]).expand(3, 3)
        circuit.forward(x)
        for t in range(420):
            if t in (302, 330):
                circuit.stimulate(stim(3, ne=0.4, da=0.1))
            if t in (305, 337):
                circuit.stimulate(None)
            circuit.act()
            end = torch.full((3,), t % 7 == 6)
            circuit.forward(x, reset=end)
            circuit.learn(torch.full((3,), float(t % 7 == 6 and t < 200)), torch.zeros(3, dtype=torch.bool), end)
        runs.append(circuit)
    held, computed = runs
    levels = torch.stack(computed.levels["ne"])
    assert torch.equal(torch.stack(held.levels["ne"]), levels)
    assert (levels[200:300] > 0.5).any() and (computed.uncertainty > 0).all()  # NE fired and reset
    assert (levels[302:305] >= 0.4).all()  # the stimulation was seen
    for name in ("W_pi", "W_v", "W_in", "ne", "ne_short", "uncertainty"):
        assert torch.equal(getattr(held, name), getattr(computed, name)), name
