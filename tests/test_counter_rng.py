"""The counter-based generator: exact arithmetic and sound statistics."""

import torch

from nmgym import counter_rng


def test_mix32_matches_a_python_big_integer_reference():
    def reference(v):
        v ^= v >> 16
        v = (v * 0x7FEB352D) % 2**32
        v ^= v >> 15
        v = (v * 0x2C1B3C6D) % 2**32
        return v ^ (v >> 16)

    x = [0, 1, 2**16 - 1, 2**16, 2**31, 2**32 - 1, 123456789, 3999999999]
    assert counter_rng.mix32(torch.tensor(x)).tolist() == [reference(v) for v in x]
    assert [counter_rng._salt(v) for v in x] == [reference(v) for v in x]


def test_mix32_is_a_bijection_on_a_sample():
    x = torch.arange(200_000, dtype=torch.int64)
    assert torch.unique(counter_rng.mix32(x)).numel() == x.numel()


def test_uniform_is_uniform_and_independent_of_neighbours():
    key = counter_rng.agent_keys(7, torch.arange(100_000))
    u = counter_rng.uniform(key, torch.zeros(100_000, dtype=torch.int64), stream=3)
    counts = torch.histc(u, bins=10, min=0.0, max=1.0)
    expected = 10_000
    chi2 = (((counts - expected) ** 2) / expected).sum().item()
    assert chi2 < 40.0  # 9 degrees of freedom: p < 1e-5 beyond this
    assert u.min().item() >= 0.0 and u.max().item() < 1.0
    lag = torch.corrcoef(torch.stack([u[:-1], u[1:]]))[0, 1].item()
    assert abs(lag) < 0.02  # 5 sigma for 1e5 pairs is 0.016


def test_consecutive_counters_and_sub_draws_are_uncorrelated():
    key = counter_rng.agent_keys(3, torch.zeros(1, dtype=torch.int64)).expand(100_000)
    u = counter_rng.uniform(key, torch.arange(100_000), stream=1)  # one agent's stream over time
    assert abs(torch.corrcoef(torch.stack([u[:-1], u[1:]]))[0, 1].item()) < 0.02
    assert abs(u.mean().item() - 0.5) < 0.005
    many = counter_rng.agent_keys(3, torch.arange(50_000))
    v = counter_rng.uniform(many, torch.zeros(50_000, dtype=torch.int64), 1, n=2)
    assert abs(torch.corrcoef(v.T)[0, 1].item()) < 0.03


def test_streams_counters_seeds_and_agents_all_change_the_draw():
    agents = torch.arange(1000)
    key = counter_rng.agent_keys(1, agents)
    zero = torch.zeros(1000, dtype=torch.int64)
    base = counter_rng.bits(key, zero, 1)
    assert (base != counter_rng.bits(key, zero, 2)).float().mean() > 0.99
    assert (base != counter_rng.bits(key, zero + 1, 1)).float().mean() > 0.99
    assert (base != counter_rng.bits(counter_rng.agent_keys(2, agents), zero, 1)).float().mean() > 0.99
    assert torch.unique(base).numel() > 995


def test_integers_and_normal():
    key = counter_rng.agent_keys(0, torch.arange(60_000))
    counter = torch.zeros(60_000, dtype=torch.int64)
    k = counter_rng.integers(key, counter, 5, high=6)
    assert k.min().item() == 0 and k.max().item() == 5
    assert torch.bincount(k).min().item() > 9_000
    z = counter_rng.normal(key, counter, 9, n=2)
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1.0) < 0.02
    assert z.abs().max().item() < 5.78  # the bound the observation spaces rely on


def test_draws_keyed_once_per_counter_match_a_python_reference():
    """Every stream's draw at one counter starts from one hash of ``(agent, counter)``: the keyed
    forms (``counter_key``, ``stream_key``, ``*_from``) give the plain functions' numbers bitwise,
    and both follow the hash chain computed with Python integers; the cached sub-draw salts
    change nothing either."""
    M = 2**32 - 1
    mix = counter_rng._salt  # mix32 of a Python int
    key = counter_rng.agent_keys(3, torch.arange(4))
    counter = torch.tensor([0, 1, 7, 2**33 + 5])
    pairs = zip(key.tolist(), counter.tolist(), strict=True)
    draw = [mix(k ^ ((c & M) * 0x61C88647 & M)) ^ mix(9 + 0x3C6EF372) for k, c in pairs]
    keyed = counter_rng.stream_key(counter_rng.counter_key(key, counter), 9)
    assert keyed.tolist() == draw
    assert counter_rng.bits(key, counter, 9).tolist() == [mix(d) for d in draw]
    assert torch.equal(counter_rng.bits_from(keyed), counter_rng.bits(key, counter, 9))
    rows = counter_rng.bits(key, counter, 9, n=3, first=2)
    assert rows.tolist() == [[mix(d ^ (j * 0x27D4EB2F & M)) for j in (2, 3, 4)] for d in draw]
    assert torch.equal(counter_rng.bits_from(keyed, 3, 2), rows)
    assert torch.equal(counter_rng.uniform_from(keyed), counter_rng.uniform(key, counter, 9))
    assert torch.equal(counter_rng.integers_from(keyed, 6, n=5), counter_rng.integers(key, counter, 9, 6, n=5))
    whole = counter_rng.normal(key, counter, 9, 10)
    assert torch.equal(counter_rng.normal_from(keyed, 10), whole)
    assert torch.equal(counter_rng.normal_from(keyed, 10, 4, 7), whole[:, 4:7])
    counter_rng._cached_sub_salts.cache_clear()
    assert torch.equal(counter_rng.normal(key, counter, 9, 10), whole)  # salts made afresh
