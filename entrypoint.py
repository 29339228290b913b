#!/usr/bin/env python3
"""Container entry point: run the action and exit with its status."""

import gc
import os
import sys

# The post step (post-entrypoint.sh passes "post"): with nothing to finish, end before the
# imports below, which are most of a run's cost.
STAGE = "post" if sys.argv[1:2] == ["post"] else "main"
if STAGE == "post" and os.environ.get("STATE_TRACKING") != "true":
    sys.exit(0)

# Start-up: the cyclic collector's full passes over the many long-lived objects that importing
# pydantic and building our models creates cost tens of milliseconds, more than the run's own
# work. So no collection while importing, and what the imports made is then frozen out of every
# later pass; the run itself is collected as usual (reference counting frees nearly all of it).
gc.disable()

from compass_action.main import main  # noqa: E402 - imported with the collector off, on purpose

gc.freeze()
gc.enable()

if __name__ == "__main__":
    sys.exit(main(STAGE))
