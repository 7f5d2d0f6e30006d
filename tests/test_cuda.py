"""The same code on CUDA: exact integer results against the CPU (skipped without a GPU)."""

import pytest
import torch

from agents import PlasticAgent
from nmgym.tasks import make_task
from tests.conftest import TASK_NAMES, rollout

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@cuda
@pytest.mark.parametrize("name", TASK_NAMES)
def test_tasks_agree_with_the_cpu(name):
    cpu = rollout(make_task(name, 256, seed=3), 100)
    gpu = rollout(make_task(name, 256, seed=3, device="cuda"), 100)
    for key in ("reward", "terminated", "truncated", "action"):
        assert torch.equal(cpu[key], gpu[key].cpu()), key
    assert torch.allclose(cpu["obs"], gpu["obs"].cpu(), atol=1e-5)


@cuda
def test_plastic_agent_runs_on_cuda():
    data = PlasticAgent(make_task("CueReward", 64, seed=1, device="cuda"), seed=1, device="cuda").run(20)
    assert data["reward"].device.type == "cuda"
