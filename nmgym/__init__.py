"""nmgym: Gymnasium tasks from the neuroscience of neuromodulation, and the circuits that learn them."""

from nmgym.envs import TaskEnv, TaskVectorEnv, env_id, register_all
from nmgym.tasks import TASKS, Task, make_task

__version__ = "0.1.0"

register_all()

__all__ = ["TASKS", "Task", "TaskEnv", "TaskVectorEnv", "__version__", "env_id", "make_task"]
