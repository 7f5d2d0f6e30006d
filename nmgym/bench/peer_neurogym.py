"""NeuroGym's steps/s, run inside NeuroGym's own virtual environment (it pins gymnasium 0.29).

Prints one JSON object: ``{"Bandit-v0 single": steps_per_s, ...}``. Standalone: imports no nmgym.
"""

import functools
import json
import sys
import time
from importlib.metadata import version

import gymnasium as gym
import neurogym


def make(name: str):
    return neurogym.make(name) if hasattr(neurogym, "make") else gym.make(name)


def rate(step, batch: int, seconds: float) -> float:
    for _ in range(10):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            step()
        n += 100
    return batch * n / (time.perf_counter() - start)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    out: dict[str, str | float] = {"neurogym": version("neurogym"), "gymnasium": gym.__version__}
    for name in ("Bandit-v0", "PerceptualDecisionMaking-v0"):
        env = make(name)
        env.reset(seed=0)
        space = env.action_space

        def single(env=env, space=space):
            _, _, terminated, truncated, _ = env.step(space.sample())
            if terminated or truncated:
                env.reset()

        out[f"{name} single"] = rate(single, 1, seconds)
        vec = gym.vector.SyncVectorEnv([functools.partial(make, name) for _ in range(64)])
        vec.reset(seed=0)
        out[f"{name} SyncVectorEnv(64)"] = rate(lambda vec=vec: vec.step(vec.action_space.sample()), 64, seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
