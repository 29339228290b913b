"""The ``fail-on`` policy: which problems fail the step and which only warn."""

from __future__ import annotations

from enum import Enum
from typing import cast, get_args

from .inputs import FailOn


class Failure(Enum):
    BAD_INPUT = "bad input"  # fixable in the workflow, found before any request
    COMPASS_REFUSED = "compass refused"  # Compass refused the request (400, 401, 403, 404, ...)
    UNAVAILABLE = "unavailable"  # Compass unreachable or overloaded past the timeout
    # GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_STATE or GITHUB_ENV could not be written: the
    # event may be delivered, but later steps would read outputs that are not there.
    RUNNER_FILE = "runner file"
    INTERNAL = "internal"  # a bug in this action


_FAILS: dict[str, frozenset[Failure]] = {
    # Mistakes a person must fix fail; Compass having a bad minute does not.
    "config": frozenset(
        {Failure.BAD_INPUT, Failure.COMPASS_REFUSED, Failure.RUNNER_FILE, Failure.INTERNAL}
    ),
    "any": frozenset(Failure),
    "never": frozenset(),
}


def fails_step(failure: Failure, fail_on: FailOn) -> bool:
    return failure in _FAILS[fail_on]


def fail_on_fallback(raw: str | None) -> FailOn:
    """The policy to apply when the inputs themselves could not be read."""
    value = (raw or "").strip().lower()
    return cast(FailOn, value) if value in get_args(FailOn) else "config"
