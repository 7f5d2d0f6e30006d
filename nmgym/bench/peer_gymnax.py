"""gymnax's ``BernoulliBandit-misc`` on JAX (CPU), driven step by step from Python as an RL
library drives it: one jitted, vmapped step per call. Runs in gymnax's own virtual environment.

Prints one JSON object: ``{"BernoulliBandit-misc B=1024": agent_steps_per_s, ...}``.
"""

import json
import sys
import time
from importlib.metadata import version

import gymnax
import jax


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    batches = [int(b) for b in sys.argv[2].split(",")] if len(sys.argv) > 2 else [1024, 65536]
    env, params = gymnax.make("BernoulliBandit-misc")
    reset = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))
    step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
    out = {"gymnax": version("gymnax"), "jax": jax.__version__, "device": str(jax.devices()[0])}
    for batch in batches:
        obs, state = reset(jax.random.split(jax.random.PRNGKey(0), batch), params)
        key = jax.random.PRNGKey(1)

        def one(state, key, batch=batch):  # a random policy's step, as a library's loop makes it
            key, act_key, step_key = jax.random.split(key, 3)
            actions = jax.random.randint(act_key, (batch,), 0, 2)
            state = step(jax.random.split(step_key, batch), state, actions, params)[1]  # 5 or 6 outputs
            return state, key

        one = jax.jit(one, static_argnames="batch")
        for _ in range(5):
            state, key = one(state, key)
        jax.block_until_ready(state)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(20):
                state, key = one(state, key)
            jax.block_until_ready(state)
            n += 20
        out[f"BernoulliBandit-misc B={batch}"] = batch * n / (time.perf_counter() - start)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
