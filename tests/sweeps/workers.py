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
