"""The benchmark's arithmetic, outputs and bad input (timings are printed, never asserted)."""

import json

import pytest
import torch

from agents import PlasticAgent
from nmgym.bench import format_table, memory, run, write
from nmgym.bench.suite import Row, plastic_bytes
from nmgym.circuit import CircuitParams
from nmgym.cli import main
from nmgym.tasks import make_task


def test_a_row_compares_with_its_baseline_and_goal():
    assert Row("x", "a", 300.0, "B/s", "triad", 400.0, 0.7).ratio == 0.75
    assert Row("x", "a", 300.0, "B/s", "triad", 400.0, 0.7).holds is True
    assert Row("x", "a", 200.0, "B/s", "triad", 400.0, 0.7).holds is False
    assert Row("m", "a", 120.0, "B", "floor", 100.0, 1.25, at_most=True).holds is True
    assert Row("m", "a", 130.0, "B", "floor", 100.0, 1.25, at_most=True).holds is False
    missing = Row("t", "a", 1.0, "agent-steps/s", "peer", None, 100)
    assert missing.ratio is None and missing.holds is None


def test_the_floor_counts_every_plastic_weight_of_the_default_circuit():
    circuit = PlasticAgent(make_task("ReversalBandit", 3)).circuit
    # 2 areas x 32 units; inputs: 4 observation channels + bias; 2 actions; readouts see [h, g x]
    readouts = 2 * (64 + 5) + (64 + 5)
    weights = 64 * 5 + 2 * 32 * 32 + 2 * 32 * 32 + readouts
    labile = 3 * readouts * 4  # the readouts' labile part, float32, read and written like a trace
    assert plastic_bytes(circuit) == (3 * weights * 4, 3 * weights * 4 + labile)
    bf16 = PlasticAgent(make_task("ReversalBandit", 3), trace_dtype=torch.bfloat16).circuit
    assert plastic_bytes(bf16) == (3 * weights * 4, 3 * weights * 2 + labile)


def test_a_run_writes_its_table_and_json(tmp_path):
    result = run(sections=(), quick=True, seconds=0.05, log=lambda *_: None)
    triad, in_place = result["rows"]
    assert triad["section"] == in_place["section"] == "bandwidth" and triad["value"] > 0
    assert in_place["ratio"] == in_place["value"] / triad["value"]
    path = write(result, tmp_path)
    assert json.loads(path.read_text())["machine"]["torch"] == torch.__version__
    assert "triad" in (tmp_path / "bench.txt").read_text() and "GB/s" in format_table(result)


def test_unknown_sections_and_devices_are_refused():
    with pytest.raises(ValueError, match="unknown section"):
        run(sections=("tasks", "speed"), log=lambda *_: None)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda' is not available"):
            run(device="cuda", log=lambda *_: None)
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        run(device="gpu", log=lambda *_: None)


def test_memory_per_agent_is_measured_near_the_weights_and_traces(monkeypatch):
    monkeypatch.setattr(memory, "BATCHES", (512, 4096))
    per_agent, _, (least, most) = memory.per_agent(torch.device("cpu"), steps=5, repeats=2)
    floor = sum(plastic_bytes(PlasticAgent(make_task("ReversalBandit", 1)).circuit))
    assert 0.8 * floor < per_agent < 3 * floor
    assert least <= per_agent <= most


def test_memory_per_agent_measures_the_circuit_it_is_given(monkeypatch):
    """Four times the units per area: the recurrent and long-range weights and traces grow 16x."""
    monkeypatch.setattr(memory, "BATCHES", (512, 4096))
    default, _, _ = memory.per_agent(torch.device("cpu"), steps=5, repeats=1)
    larger, _, _ = memory.per_agent(torch.device("cpu"), steps=5, repeats=1, circuit={"units": 128})
    floors = [
        sum(plastic_bytes(PlasticAgent(make_task("ReversalBandit", 1), params=p).circuit))
        for p in (CircuitParams(), CircuitParams(units=128))
    ]
    assert larger - default > 0.8 * (floors[1] - floors[0])
    with pytest.raises(ValueError, match=r"unknown parameter.*unitz"):
        memory.per_agent(torch.device("cpu"), circuit={"unitz": 128})


def test_the_bench_command_has_help(capsys):
    assert main(["bench", "--help"]) == 0
    assert "--quick" in capsys.readouterr().out
