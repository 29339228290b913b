"""The keys by which Compass tells events apart, derived from the run.

Compass accepts wrong keys silently, so each rule here exists to keep its data true:

- ``externalEventSourceId`` is one per repository and component, for every workflow, job and
  run, so that the component's history is not split into several sources, and two components of
  one repository (a monorepo) never share one: Compass links a source to components, and a source
  linked to two shows each one's events on the other.
- A deployment is keyed by pipelineId + environmentId + sequenceNumber. The IN_PROGRESS send and
  the final send of one job attempt must share all three, or Compass shows two deployments; a
  re-run attempt or a later run must get a new key with a larger sequenceNumber.
- A build's ``pipelineId`` must be unique per build, or the new build overwrites an old one.
- ``updateSequenceNumber`` must grow with every send of one event, or Compass drops the update.
  A deployment's or build's final state is numbered in a band above every number a state that
  is not final can get (``FINAL_BAND``), so a send that fills in a lost final state later
  (reconcile, an observer run) outranks a live IN_PROGRESS yet never a live final state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..github.payload import DeploymentStatus
from ..github.run_context import RunContext
from ..problems import InputProblems, Problem
from .contract import MAX_SAFE_INTEGER

# sequenceNumber = run id * this + attempt. Run ids grow across all runs and attempts grow within
# one, so the number grows for every re-run and every later run. Run ids in the 10**10s leave a
# factor of several hundred below 2**53.
ATTEMPTS_PER_RUN = 1000


def repository_key(run: RunContext) -> str | None:
    """The repository, by its numeric id, which survives renames: GITHUB_REPOSITORY_ID, else the
    event payload's ``repository.id`` (run_context.py); its name only where neither is set."""
    if run.repository_id:
        return f"{run.host}:repository:{run.repository_id}"
    if run.repository:
        return f"{run.host}:repository:{run.repository}"
    return None


def external_event_source_id(run: RunContext, component_id: str) -> str | None:
    """The repository and the component: stable across runs, never shared by two components.

    The component's own id, the last part of its ARI, survives renaming the component and moving
    its compass.yml. A reference without a ``/`` (a slug) is used whole.
    """
    repository = repository_key(run)
    component = component_id.rsplit("/", 1)[-1]
    return None if repository is None else f"{repository}:component:{component}"


def job_part(job_key: str | None, check_run_id: int | None) -> str | None:
    """The job in a key: its check run id when known, else its YAML key (``GITHUB_JOB``).

    The check run id is what GitHub's REST API returns as the job's ``id``: the contexts
    reference gives ``job.check_run_id`` as "the check run ID of the current job", and the
    workflow-jobs API ("List jobs for a workflow run attempt") answers each job with
    ``check_run_url`` ``.../check-runs/<id>`` and ``html_url`` ``.../job/<id>`` for that same
    number. So an observer run or a reconciliation, which only see the API, derive the same key
    as a live send. The YAML key is a fallback for servers without ``job.check_run_id`` (older
    GitHub Enterprise Server): the API cannot give it back, so there keys of live sends and of
    observers differ.
    """
    if check_run_id is not None:
        return str(check_run_id)
    return job_key


def job_attempt_key(repository: str, run_id: int, run_attempt: int, job: str) -> str:
    """``<owner/repo>/runs/<run id>/attempts/<attempt>/jobs/<job>``: one job attempt."""
    return f"{run_attempt_key(repository, run_id, run_attempt)}/jobs/{job}"


def run_attempt_key(repository: str, run_id: int, run_attempt: int) -> str:
    """``<owner/repo>/runs/<run id>/attempts/<attempt>``: one run attempt, the build of
    ``build-unit: run`` (observer and reconcile runs); a job's key extends it."""
    return f"{repository}/runs/{run_id}/attempts/{run_attempt}"


def release_key(repository: str, release_id: int, run_attempt: int) -> str:
    """``<owner/repo>/releases/<release id>/attempts/<attempt>``: one release's deployment."""
    return f"{repository}/releases/{release_id}/attempts/{run_attempt}"


def _job_attempt(run: RunContext, check_run_id: int | None) -> str | None:
    job = job_part(run.job, check_run_id)
    if run.repository is None or run.run_id is None or job is None:
        return None
    return job_attempt_key(run.repository, run.run_id, run.run_attempt, job)


def pipeline_id(run: RunContext, check_run_id: int | None, deployment: bool) -> str | None:
    """One value per job attempt, or per GitHub object where the run reports one.

    - A build, and a deployment from a push or dispatch: the job attempt, the same for every step
      of the job, new for a re-run. The job is its check run id (``job.check_run_id``), which
      also tells matrix legs apart (they share the YAML key) and which GitHub's API gives back
      (see ``job_part``).
    - A deployment from a ``release`` run: the release and the attempt, without the run or the
      job, because one release starts several runs (``created``, ``published``, ``released``),
      each with jobs of their own check run ids, that must report one deployment per
      environment; a re-run is still a new deployment.
    - A GitHub deployment (``deployment``, ``deployment_status`` runs): the deployment itself, so
      that every status of it, each reported by a run of its own, updates one Compass deployment.
    """
    if not deployment:
        return _job_attempt(run, check_run_id)
    if run.repository is None:
        return None
    if run.github_deployment is not None:
        return f"{run.repository}/deployments/{run.github_deployment.id}"
    if run.release is not None:
        return release_key(run.repository, run.release.id, run.run_attempt)
    return pipeline_id(run, check_run_id, deployment=False)


def _with_attempt(number: int, run: RunContext) -> int | None:
    if not 1 <= run.run_attempt < ATTEMPTS_PER_RUN:
        return None
    value = number * ATTEMPTS_PER_RUN + run.run_attempt
    return value if value <= MAX_SAFE_INTEGER else None


def sequence_number(run: RunContext) -> int | None:
    """Grows for every later deployment of a pipeline and environment, and for every re-run.

    A GitHub deployment's id; a release's id with the attempt; else the run id with the attempt.
    """
    if run.github_deployment is not None:
        return run.github_deployment.id
    if run.release is not None:
        return _with_attempt(run.release.id, run)
    if run.run_id is None:
        return None
    return _with_attempt(run.run_id, run)


# The order of a GitHub deployment's states, for two statuses set within the same second.
_STATUS_ORDER = {"queued": 1, "waiting": 1, "pending": 2, "in_progress": 3}
_FINAL_STATUS_ORDER = 4


def status_update_sequence(status: DeploymentStatus) -> int | None:
    """The update sequence number of a GitHub deployment status: its time, then its state.

    Each status arrives in a run of its own, and runs can finish out of order; numbering by the
    status's own time keeps Compass on the latest status whatever order the runs send in. GitHub
    stamps statuses to the second, so the microseconds carry the state's place in the lifecycle
    (queued, pending, in progress, then a final state), and the number stays on the scale of the
    clock-based numbers of steps that report the same deployment.
    """
    if status.created_at is None:
        return None
    seconds = int(status.created_at.timestamp())
    order = _STATUS_ORDER.get(status.state, _FINAL_STATUS_ORDER)
    band = FINAL_BAND if order == _FINAL_STATUS_ORDER else 0  # as a live final send's
    value = seconds * 1_000_000 + order + band
    return value if 0 <= value <= MAX_SAFE_INTEGER else None


# Added to the number of a deployment's or build's final state (SUCCESSFUL, FAILED, ...). The
# clock in microseconds is about 1.8 * 10**15 in 2026 and reaches 2**52 only around 2112, so a
# number in the band, 2**52 above the clock, stays below 2**53 until then. Where the clock stands
# for the job's start (reconcile: the GitHub job's started_at), the final state lands above every
# live IN_PROGRESS send of that job (numbered by the clock, out of the band) and below every live
# final send (in the band, and sent after the job started): Compass keeps the live final state
# and takes the reconciled one only where the live one was lost.
FINAL_BAND = 2**52


def numbered_as_final(run: RunContext, deployment: bool, terminal: bool, mirrors: bool) -> bool:
    """Whether a send by the clock is numbered in the band of final states.

    A deployment or build in a final state is, so that it outranks what is not final. Except a
    GitHub deployment reported otherwise than by mirroring one of its statuses (the job of its
    ``deployment`` run, a ``state`` given in a ``deployment_status`` run): GitHub's statuses are
    the truth about a GitHub deployment, so that send stays out of the band, and every final
    status GitHub records (numbered in the band by its own time, ``status_update_sequence``)
    outranks it whichever run finishes last. Where GitHub records no final status, the job's
    state stands.
    """
    if not terminal:
        return False
    return not (deployment and run.github_deployment is not None and not mirrors)


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

    def next(self, after: int = 0, final: bool = False) -> int:
        """The next number: from the clock, above the last one handed out and above ``after``.

        Raises InputProblems when ``after`` (what an earlier step sent, perhaps given as
        ``update-sequence-number``) leaves no larger number that Compass reads back exactly.
        """
        with self._lock:
            band = FINAL_BAND if final else 0
            value = max(self._clock_ns() // 1000 + band, self._last + 1, after + 1)
            if value > MAX_SAFE_INTEGER:
                raise InputProblems([_exhausted(after)])
            self._last = value
            return value


def _exhausted(after: int) -> Problem:
    return Problem(
        "update-sequence-number",
        f"an earlier send of this event in this job used {after}; no larger number is left "
        f"below 2^53 (at most {MAX_SAFE_INTEGER}) for this send. Give the earlier step a "
        "smaller update-sequence-number, or leave it empty there and here",
    )
