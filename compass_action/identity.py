"""The keys by which Compass tells events apart, derived from the run.

Compass accepts wrong keys silently, so each rule here exists to keep its data true:

- ``externalEventSourceId`` is one per repository, for every workflow, job and run, so that the
  component's history is not split into several sources.
- A deployment is keyed by pipelineId + environmentId + sequenceNumber. The IN_PROGRESS send and
  the final send of one job attempt must share all three, or Compass shows two deployments; a
  re-run attempt or a later run must get a new key with a larger sequenceNumber.
- A build's ``pipelineId`` must be unique per build, or the new build overwrites an old one.
- ``updateSequenceNumber`` must grow with every send of one event, or Compass drops the update.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from .compass_models import MAX_SAFE_INTEGER
from .run_context import RunContext

# sequenceNumber = run id * this + attempt. Run ids grow across all runs and attempts grow within
# one, so the number grows for every re-run and every later run. Run ids in the 10**10s leave a
# factor of several hundred below 2**53.
ATTEMPTS_PER_RUN = 1000


def external_event_source_id(run: RunContext) -> str | None:
    """The repository's numeric id survives renames; its name is the fallback where no id is set."""
    if run.repository_id:
        return f"{run.host}:repository:{run.repository_id}"
    if run.repository:
        return f"{run.host}:repository:{run.repository}"
    return None


def pipeline_id(run: RunContext, check_run_id: int | None) -> str | None:
    """One value per job attempt: the same for every step of the job, new for a re-run.

    The check run id (``job.check_run_id``) tells matrix legs apart, which share the job id.
    """
    if run.repository is None or run.run_id is None or run.job is None:
        return None
    value = f"{run.repository}/runs/{run.run_id}/attempts/{run.run_attempt}/jobs/{run.job}"
    return value if check_run_id is None else f"{value}/{check_run_id}"


def sequence_number(run: RunContext) -> int | None:
    if run.run_id is None:
        return None
    if not 1 <= run.run_attempt < ATTEMPTS_PER_RUN:
        return None
    value = run.run_id * ATTEMPTS_PER_RUN + run.run_attempt
    return value if value <= MAX_SAFE_INTEGER else None


class UpdateSequence:
    """Strictly increasing update sequence numbers from the wall clock, in microseconds.

    Two sends in separate steps are ordered by the clock and by ``after``, the number an earlier
    step sent (from the job ledger); two sends within one process (even in the same microsecond,
    or after the clock stepped back) by never repeating or going below the last value handed out.
    """

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        self._last = 0
        self._lock = threading.Lock()

    def next(self, after: int = 0) -> int:
        """The next number: from the clock, above the last one handed out and above ``after``."""
        with self._lock:
            self._last = max(self._clock_ns() // 1000, self._last + 1, after + 1)
            return self._last


def rfc3339(moment: datetime) -> str:
    """UTC with a ``Z``, millisecond precision: what Compass and GitHub both display."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
