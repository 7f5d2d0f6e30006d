"""Adapters from nmgym's native vector env to RL libraries.

Each adapter lives in its own module so that importing one library never imports another:

- :mod:`nmgym.adapters.sb3`: :class:`~nmgym.adapters.sb3.SB3VecEnv`, a Stable-Baselines3 ``VecEnv``
  (``pip install nmgym[sb3]``).
- :mod:`nmgym.adapters.torchrl`: :class:`~nmgym.adapters.torchrl.TorchRLEnv`, a TorchRL ``EnvBase``
  that keeps the batch on the kernel's device (``pip install nmgym[torchrl]``).
"""
