"""``python -m lava_eqprop`` is the ``lava-eqprop`` command."""

import sys

from lava_eqprop.cli.main import main

sys.exit(main())
