"""From the environment to a validated event, naming every problem in one pass.

A person who fixes one input and reruns should not meet five more: the problems in the inputs,
in the run context and in what is derived from both are collected together and reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .events.builder import BuiltEvent, build_event
from .events.identity import UpdateSequence
from .events.ledger import JobLedger
from .events.skipping import reason_to_skip
from .events.states import JOB_STATUS_KINDS, is_job_status
from .github.run_context import RunContext, load_run_context
from .input_names import variable_name
from .inputs import ActionInputs, LoadedInputs, read_inputs
from .problems import InputProblems, Problem
from .report.reporter import Reporter

# Stands in for a missing or wrong component-id while the other inputs are checked by deriving
# an event from them; that event is thrown away, never sent, logged or recorded.
_PROBE_COMPONENT = "ari:cloud:compass:00000000-0000-0000-0000-000000000000:component/probe/probe"
_WARNING_TITLE = "compass-action"


@dataclass(frozen=True)
class Prepared:
    inputs: ActionInputs
    event: BuiltEvent
    ledger: JobLedger  # where an accepted event is recorded for later steps of the job


@dataclass(frozen=True)
class Skipped:
    """The run has nothing to report (events/skipping.py says why)."""

    reason: str


def prepare(
    reporter: Reporter,
    environ: Mapping[str, str],
    now: datetime,
    resolve: Callable[[ActionInputs], ActionInputs] | None = None,
) -> Prepared | Skipped:
    """The inputs and the event to send, or why there is none; raise InputProblems naming every
    problem found. ``resolve`` turns checked inputs into ones with the component's ARI (a slug
    is looked up in Compass); it runs only once no problem is left, before the event is built."""
    loaded = read_inputs()
    # What was actually read, in case a spelling main.register_secrets does not know supplied it.
    token = loaded.inputs.api_token
    reporter.add_credentials(
        loaded.inputs.user_email, token.get_secret_value() if token is not None else None
    )
    problems = list(loaded.problems)
    try:
        run: RunContext | None = load_run_context()
    except InputProblems as exc:
        problems += exc.problems
        run = None
    if run is not None:
        _warn_about_the_event_file(reporter, run)
    if problems:
        if run is not None:
            problems += _derivation_problems(loaded, run, now)
        raise InputProblems(_first_per_input(problems))
    inputs = loaded.inputs
    assert run is not None
    skip = reason_to_skip(
        inputs.event_type,
        run,
        state_given=inputs.state is not None,
        report_pull_requests=inputs.report_pull_requests,
        incident_label=inputs.incident_label,
    )
    _debug_ignored_job_status(reporter, inputs, environ)
    if skip is not None:
        return Skipped(skip)
    if resolve is not None:
        inputs = resolve(inputs)
    # A dry run leaves no trace for later steps to continue from.
    ledger = (
        JobLedger(None)
        if inputs.dry_run
        else JobLedger.for_environ(environ, _warner(reporter), lambda: now)
    )
    event = build_event(inputs, run, lambda: now, UpdateSequence(), ledger)
    return Prepared(inputs, event, ledger)


def _debug_ignored_job_status(
    reporter: Reporter, inputs: ActionInputs, environ: Mapping[str, str]
) -> None:
    """Say, for debugging, that a job's status given to a kind not about the job was ignored."""
    if inputs.event_type in JOB_STATUS_KINDS:
        return
    given = {
        "job-status": inputs.job_status,
        # read_inputs() leaves a job status given as state unset for these kinds
        "state": environ.get(variable_name("state"), ""),
    }
    for name, value in given.items():
        if value and is_job_status(value):
            reporter.debug(
                f"{name} ({value.strip()}) is ignored: {inputs.event_type.a} event is not "
                "about the job"
            )


def _derivation_problems(loaded: LoadedInputs, run: RunContext, now: datetime) -> list[Problem]:
    """What deriving the event would find, with the inputs known to be wrong left out.

    Which rules apply depends on event-type, so nothing is derived while it is wrong.
    """
    if "event_type" in loaded.unchecked:
        return []
    inputs = loaded.inputs
    probe = inputs.model_copy(
        update={
            # A state of deployments and builds; the other kinds default or say it is required.
            "state": inputs.state or ("UNKNOWN" if inputs.event_type in JOB_STATUS_KINDS else None),
            # A slug is looked up only once every input is right; until then, the probe's ARI.
            "component_id": (_PROBE_COMPONENT if inputs.component_slug else inputs.component_id)
            or _PROBE_COMPONENT,
        }
    )
    try:
        build_event(probe, run, lambda: now, UpdateSequence(), JobLedger(None))
    except InputProblems as exc:
        return exc.problems
    return []


def _first_per_input(problems: list[Problem]) -> list[Problem]:
    """One problem per input: an input that is wrong is not also reported as underived."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        if problem.input not in seen:
            seen.add(problem.input)
            kept.append(problem)
    return kept


def _warn_about_the_event_file(reporter: Reporter, run: RunContext) -> None:
    problem = run.event_file.problem
    if problem is not None:
        reporter.annotate(
            "warning",
            f"The event payload at GITHUB_EVENT_PATH ({run.event_path}) {problem}; ignored, so "
            "nothing is taken from it (a deployment's environment, a release's tag)",
            "GITHUB_EVENT_PATH",
        )


def _warner(reporter: Reporter) -> Callable[[str], None]:
    def warn(message: str) -> None:
        reporter.annotate("warning", message, _WARNING_TITLE)

    return warn
