"""Stand-ins for a sweep's point trainer, run by spawned worker processes in the tests."""

import os
import time


def die_or_wait(task):
    """The point named "die" kills its worker at once; the others write their process id to
    the file ``task["pid"]`` and wait ten minutes (longer than a test may run)."""
    if task["name"] == "die":
        os._exit(3)
    with open(task["pid"], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)
    return {"name": task["name"]}


def train_and_count_torch_threads(task):
    """A point trained as a sweep worker trains it, with the worker's PyTorch thread count."""
    import torch

    from lava_eqprop.sweeps.execute import run_point

    return {**run_point(task), "torch_threads": torch.get_num_threads()}
