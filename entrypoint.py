#!/usr/bin/env python3
"""Container entry point: run the action and exit with its status."""

import sys

from compass_action.main import main

if __name__ == "__main__":
    sys.exit(main())
