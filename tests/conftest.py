"""Shared fixtures: a valid configuration, the run context, the stand-in server."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tools import EXAMPLE_COMPONENT
from tools.compass_contract import ContractMissing, check_contract_files

from . import warm_start

# No cyclic garbage collection while the suite loads: what it loads (the action, the stand-ins,
# Hypothesis, the collected tests) stays until the process ends, yet each full collection walks
# all of it again (0.15 to 0.2 s a process). pytest_runtestloop turns it back on, with all of
# that frozen out of its reach. Measured over the suite's processes: 1.9 s of collecting before,
# 1.2 to 1.4 s after.
gc.disable()

# The action, the runner model and the stand-ins are imported where used: xdist's controller
# loads this file before it starts the workers and needs none of them (~0.7 s of imports, and
# in a fresh clone their compiling, which warm_start does on every core instead).
if TYPE_CHECKING:
    from tools.action_runner import Run
    from tools.compass_standin import ScriptedAnswer, Standin

    from .inprocess import InProcess

# How many examples each property test tries. The suite's profile tries Hypothesis's default of
# 100, each run from a new random seed, so that runs add up over time instead of repeating; the
# failures found so far are pinned with @example. The thorough profile tries 1,000:
# .github/workflows/thorough.yml runs it every week and on demand, and anyone can locally
# (`bash scripts/test.sh --hypothesis-profile=thorough`). docs/development.md has the measurements.
settings.register_profile("suite", max_examples=100)
settings.register_profile("thorough", max_examples=1000)
settings.load_profile("suite")  # --hypothesis-profile, read later, overrides it


def whole_run_examples() -> int:
    """Examples for a property each of whose examples is a whole run of the action (5 to 10 ms,
    where the others take well under 1 ms): half the loaded profile's, 50 in the suite, 500 in
    the thorough profile. Read when a test module is imported, after --hypothesis-profile."""
    return settings().max_examples // 2


COMPONENT = EXAMPLE_COMPONENT
CLOUD_ID = COMPONENT.split(":")[3]
EMAIL = "deployer@example.com"
# Recognisable, so a leak of it (or of its Base64 form) is easy to find in any output.
TOKEN = "ATATT3xFfGF0-LEAKCANARY-7c1d2e3f4a5b6c7d8e9f"


def pytest_configure(config: pytest.Config) -> None:
    """Stops the run at once, with one message saying how to restore it, when a contract file
    every body is checked against is missing or not the one contract/SOURCE.md records."""
    try:
        check_contract_files()
    except ContractMissing as problem:
        raise pytest.UsageError(str(problem)) from None
    if not hasattr(config, "workerinput"):  # the one process, or xdist's controller
        warm_start.warm(config)


@pytest.fixture(autouse=True)
def _fresh_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no secret registered, as every step is a process of its own."""
    from compass_action import text

    monkeypatch.setattr(text, "SECRETS", text.Scrubber())


@pytest.fixture
def run_context() -> Run:
    from tools.action_runner import Run

    return Run()


@pytest.fixture
def standin() -> Iterator[Standin]:
    from tools.compass_standin import Standin

    with Standin(EMAIL, TOKEN) as server:
        yield server


def scripted_standin(answers: list[ScriptedAnswer]) -> Standin:
    from tools.compass_standin import Standin

    return Standin(EMAIL, TOKEN, script=answers)


def credentials(server: Standin) -> dict[str, str]:
    return {
        "site": server.base_url,
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": COMPONENT,
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "github"


@pytest.fixture
def in_process() -> InProcess:
    from .inprocess import InProcess

    return InProcess()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The property tests and those marked slow (seconds each) first, so that no worker is left
    running one after the rest; under xdist, first in each worker's share.

    xdist's worksteal hands each worker a contiguous slice of this list at the start (what is
    left divided by the workers left, in turn) and later moves tests from the end of a busy
    worker's queue. With all the long tests at the head of the list they were all in the first
    worker's slice, run one after another: it ended last, ~1 s after the others. Dealt round
    robin to the head of each slice, each worker starts with its part of them.
    """

    def long(item: pytest.Item) -> bool:
        hypothesis = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        return bool(hypothesis) or item.get_closest_marker("slow") is not None

    items.sort(key=lambda item: not long(item))
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    firsts = [item for item in items if long(item)]
    if workers < 2 or not firsts:
        return
    rest = items[len(firsts) :]
    ordered: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):
        share = left // (workers - worker)
        left -= share
        mine = firsts[worker::workers]
        taken = max(0, share - len(mine))
        ordered += mine + rest[:taken]
        del rest[:taken]
    items[:] = ordered + rest


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """The cyclic garbage collector back on, before the first test (in xdist's controller,
    before its loop), with what is loaded by now frozen out of its reach (see the top)."""
    gc.collect()
    gc.freeze()
    gc.enable()
