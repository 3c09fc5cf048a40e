"""``python -m xlcalc.bridge``: see :func:`xlcalc.bridge.command.cli`."""

import sys

from xlcalc.bridge.command import cli

sys.exit(cli())
