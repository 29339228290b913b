"""A run imports what its mode needs: a plain send loads none of the other modes' code.

Each module costs start-up time in every run of the action (docs/benchmarks.md, "Start-up",
has each one's cost), so a mode's modules are imported by the function that runs the mode. The
process boundary is what is tested: the real entry point, as the image starts it, sends one
deployment to the stand-in, and what it imported is read from ``sys.modules`` as it exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from tools.action_runner import REPO, Run, step_env
from tools.compass_standin import Standin

from .conftest import credentials

# Code a plain send (event-type deployment, one component by ARI, nothing else asked for)
# must not import: the GitHub API and GraphQL clients, the other modes, the kinds it does not
# send (each with its models of the event contract), and the YAML parser (only compass.yml
# files and the properties input need it).
FORBIDDEN = frozenset(
    {
        "compass_action.clients.github_api",
        "compass_action.clients.graphql",
        "compass_action.clients.compass_graphql",
        "compass_action.observe",
        "compass_action.reconcile",
        "compass_action.github_alerts",
        "compass_action.setup",
        "compass_action.verify",
        "compass_action.preflight",
        "compass_action.changes",
        "compass_action.components",
        "compass_action.events.build",
        "compass_action.events.push",
        "compass_action.events.custom",
        "compass_action.events.lifecycle",
        "compass_action.events.flag",
        "compass_action.events.alert",
        "compass_action.events.incident",
        "compass_action.events.vulnerability",
        "yaml",
    }
)

# Packages a plain send must not import any module of.
FORBIDDEN_PACKAGES = ("compass_action.extras", "defusedxml")

# Frozen dataclasses a plain send may still define, each for a reason a NamedTuple can't meet.
FROZEN_DATACLASSES_KEPT = frozenset(
    {
        # Inherits JobFacts's properties (shared with BuildFacts); a NamedTuple has no bases.
        "compass_action.events.deployment.DeploymentFacts",
        # Its default is a new dict for each instance (callers fill it); a NamedTuple's is shared.
        "compass_action.json_files.JsonObject",
    }
)

# entrypoint.py run as the image runs it (-E -s -u -B), as __main__, with the names of the
# modules loaded, of the event contract's models built (their validators made) and of the frozen
# dataclasses our modules define written to a file when the process exits (its exit code passes
# through).
_RUN_AND_LIST = """
import atexit, json, runpy, sys
entrypoint, listing = sys.argv[1], sys.argv.pop(2)
def _listing():
    contract = vars(sys.modules.get("compass_action.events.contract", sys))
    built = [name for name, value in contract.items()
             if getattr(value, "__pydantic_complete__", False) is True]
    frozen = [f"{module.__name__}.{name}" for module in list(sys.modules.values())
              if module.__name__.startswith("compass_action")
              for name, value in vars(module).items()
              if isinstance(value, type) and value.__module__ == module.__name__
              and getattr(getattr(value, "__dataclass_params__", None), "frozen", False)]
    return json.dumps({"modules": sorted(sys.modules), "built": sorted(built),
                       "frozen": sorted(frozen)})
atexit.register(lambda: open(listing, "w").write(_listing()))
sys.argv = [entrypoint]
sys.path.insert(0, entrypoint.rsplit("/", 1)[0])
runpy.run_path(entrypoint, run_name="__main__")
"""


class _Listing(NamedTuple):
    code: int
    printed: str
    modules: set[str]
    built: set[str]  # the event contract's models whose validators were made
    frozen: set[str]  # frozen dataclasses defined by the modules loaded


def _modules_of_a_run(env: dict[str, str], folder: Path) -> _Listing:
    listing = folder / "modules.json"
    entrypoint = str(REPO / "entrypoint.py")
    done = subprocess.run(
        [sys.executable, "-E", "-s", "-u", "-B", "-c", _RUN_AND_LIST, entrypoint, str(listing)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    listed = json.loads(listing.read_text())
    return _Listing(
        done.returncode,
        done.stdout + done.stderr,
        set(listed["modules"]),
        set(listed["built"]),
        set(listed["frozen"]),
    )


def test_a_plain_send_imports_no_other_modes_code(standin: Standin, tmp_path: Path) -> None:
    inputs = credentials(standin) | {"environment": "production"}
    env = step_env(Run(), inputs, tmp_path)
    code, printed, modules, built, frozen = _modules_of_a_run(env, tmp_path)
    assert code == 0, printed
    assert "Accepted by Compass" in printed
    assert len(standin.bodies()) == 1
    # The listing is of the run that sent: the modules it used are in it.
    assert {"compass_action.main", "compass_action.events.deployment"} <= modules
    assert sorted(modules & FORBIDDEN) == []
    # Only a step given one of their inputs imports extras/ (metric values, reports, uploads)
    # and the safe XML parser the reports need.
    assert sorted(m for m in modules if m.startswith(FORBIDDEN_PACKAGES)) == []
    # The listing of models built is read: the request's was (each kind's own models are in
    # its module, which the list above forbids for the kinds it does not send).
    assert "CreateEventRequest" in built
    # The records every run defines are NamedTuples: on Python 3.11 a frozen dataclass costs
    # some 0.6 ms to define (six methods, each compiled from source), a NamedTuple 0.1 ms.
    assert sorted(frozen - FROZEN_DATACLASSES_KEPT) == []
