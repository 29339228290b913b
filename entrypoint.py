#!/usr/bin/env python3
"""Container entry point: run the action and exit with its status."""

import gc
import sys

# Start-up: the cyclic collector's full passes over the many long-lived objects that importing
# pydantic and building our models creates cost tens of milliseconds, more than the run's own
# work. So no collection while importing, and what the imports made is then frozen out of every
# later pass; the run itself is collected as usual (reference counting frees nearly all of it).
gc.disable()

from compass_action.main import main  # noqa: E402 - imported with the collector off, on purpose

gc.freeze()
gc.enable()

if __name__ == "__main__":
    sys.exit(main())
