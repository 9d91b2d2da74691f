"""Stand-ins for a sweep's point trainer, run by spawned worker processes in the tests."""

import os
import time


def die_or_wait(task):
    """The point named "die" kills its worker at once; the others wait a minute."""
    if task["name"] == "die":
        os._exit(3)
    time.sleep(60)
    return {"name": task["name"]}
