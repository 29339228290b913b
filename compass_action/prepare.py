"""From the environment to a validated event, naming every problem in one pass.

A person who fixes one input and reruns should not meet five more: the problems in the inputs,
in the run context and in what is derived from both are collected together and reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .clients.http import Clock
from .events.builder import BuiltEvent, build_event
from .events.identity import UpdateSequence
from .events.ledger import JobLedger
from .events.skipping import reason_to_skip
from .events.states import JOB_STATUS_KINDS, is_job_status
from .github.run_context import OBSERVED_EVENT, RunContext, load_run_context
from .input_names import variable_name
from .inputs import ActionInputs, LoadedInputs, is_component_slug, read_inputs
from .limits import Deadline
from .problems import InputProblems, Problem
from .report.reporter import Reporter

# The modes' modules (observe.py, reconcile.py, changed-only's changes.py, compass-files'
# components.py) are imported where a run turns out to need them, not here.
if TYPE_CHECKING:
    from .extras.plan import Extras
    from .reconcile import Reconciling

# Stands in for a missing or wrong component-id while the other inputs are checked by deriving
# an event from them; that event is thrown away, never sent, logged or recorded.
_PROBE_COMPONENT = "ari:cloud:compass:00000000-0000-0000-0000-000000000000:component/probe/probe"
_WARNING_TITLE = "compass-action"

# Looks up the slugs among the components (given or found), in one request: the components as
# ARIs, in the same order. It raises GraphQLError when a slug cannot be found.
Resolver = Callable[[ActionInputs, list[str], Deadline], list[str]]


class Prepared(NamedTuple):
    inputs: ActionInputs
    events: list[BuiltEvent]  # one per component, in the order given or found
    ledger: JobLedger  # where an accepted event is recorded for later steps of the job
    deadline: Deadline  # the one timeout budget, from the first request on
    extras: Extras | None = None  # metric values and uploads to send besides the events

    @property
    def event(self) -> BuiltEvent:
        """The first component's event: the one the single-component outputs describe."""
        return self.events[0]


class Skipped(NamedTuple):
    """The run has nothing to report (events/skipping.py says why)."""

    reason: str


def prepare(
    reporter: Reporter,
    environ: Mapping[str, str],
    now: datetime,
    stage: str = "main",
    clock: Clock | None = None,
    resolve: Resolver | None = None,
) -> Prepared | Skipped | Reconciling:
    """The inputs and the events to send, or why there are none; raise InputProblems naming
    every problem found. With track-job the main ``stage`` sends IN_PROGRESS; the post stage
    sends the job's status (the state input must then be empty, inputs.py checks). ``resolve``
    turns the components' slugs into ARIs (looked up in Compass); it runs only once no problem
    is left, before the events are built."""
    clock = clock or Clock()
    loaded = read_inputs()
    deadline = Deadline(loaded.inputs.budget, clock.monotonic)
    if loaded.inputs.track_job and stage == "main" and loaded.inputs.state is None:
        loaded = LoadedInputs(
            loaded.inputs.model_copy(update={"state": "IN_PROGRESS"}),
            loaded.problems,
            loaded.unchecked,
        )
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
        _warn_about_a_repository_key_by_name(reporter, loaded.inputs, run)
    found = _components(reporter, environ, loaded, run, problems, (deadline, clock))
    if run is not None:
        problems += _mode_problems(loaded.inputs, run)
    if problems:
        if run is not None:
            problems += _derivation_problems(loaded, run, now)
        raise InputProblems(_first_per_input(problems))
    inputs = loaded.inputs
    assert run is not None
    if inputs.reconcile is not None:  # reconcile.py: the window's runs, not this run
        from .reconcile import Reconciling

        if resolve is not None and any(is_component_slug(item) for item in found):
            found = resolve(inputs, found, deadline)
        return Reconciling(inputs, run, found, deadline)
    observing = _is_observer_run(inputs, run)
    skip = reason_to_skip(
        inputs.event_type,
        run,
        state_given=inputs.state is not None,
        report_pull_requests=inputs.report_pull_requests,
        incident_label=inputs.incident_label,
        # An observer run counts by the branch of the run it reports (observe.py).
        build_branches=None if observing else inputs.filter_list("build_branches"),
    )
    _debug_ignored_job_status(reporter, inputs, environ)
    if skip is not None:
        return Skipped(skip)
    if not found:  # changed-only left none
        return Skipped("no component's folder holds a file this push changed (changed-only)")
    if observing:
        from .observe import skip_reason

        if (reason := skip_reason(run)) is not None:
            return Skipped(reason)
    if resolve is not None and any(is_component_slug(item) for item in found):
        found = resolve(inputs, found, deadline)
    if observing:
        if inputs.extras_asked:
            _notifier(reporter)(
                "metric values and uploads are not sent by a run that reports another "
                "workflow's run"
            )
        return _observe(reporter, inputs, run, environ, found, (deadline, clock))
    # A dry run leaves no trace for later steps to continue from.
    ledger = (
        JobLedger(None)
        if inputs.dry_run
        else JobLedger.for_environ(environ, _warner(reporter), lambda: now, deadline)
    )
    numbers = UpdateSequence()
    events = [
        build_event(inputs.for_component(component), run, lambda: now, numbers, ledger)
        for component in found
        if inputs.sends_event
    ]
    extras = None
    # Metric values and uploads, from the main step only (track-job's post step runs this
    # again); extras/ is imported only when one of its inputs is set.
    if inputs.extras_asked and stage == "main":
        from .extras.plan import plan_extras

        extras = plan_extras(inputs, run, environ, found, now)
    return Prepared(inputs, events, ledger, deadline, extras)


def _observe(
    reporter: Reporter,
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    found: list[str],
    network: tuple[Deadline, Clock],
) -> Prepared | Skipped:
    """An observer run (observe.py): the triggering run's jobs, from GitHub's API."""
    from .observe import github_api_says, observed_events, read_observed

    deadline, clock = network
    observed = read_observed(
        inputs, run, environ, deadline, clock, reporter.info, github_api_says(reporter)
    )
    reporter.info(
        f"Reporting run {observed.run.id} (attempt {observed.run.run_attempt}) of "
        f"{observed.run.name or 'the workflow'}: {len(observed.jobs)} jobs, "
        f"{len(observed.deployments)} of them deployed"
    )
    numbers = UpdateSequence()
    observation = observed_events(inputs, run, observed, found, lambda _job: numbers, deadline)
    if deadline.expired():
        reporter.annotate(
            "warning",
            f"The timeout ({inputs.budget:g} s) ran out while reading and building the "
            f"{len(observed.jobs)} jobs GitHub listed; raise timeout",
            "GitHub's API",
        )
    for skipped in observation.skipped:
        if skipped.notice:
            reporter.annotate("notice", skipped.detail, "compass-action")
        else:
            reporter.info(f"Not reported: {skipped.detail}")
    if not observation.events:
        return Skipped(
            f"nothing of run {observed.run.id} is reported: "
            + "; ".join(dict.fromkeys(item.detail for item in observation.skipped))
            if observation.skipped
            else f"no job of run {observed.run.id} ended in a state that is reported"
        )
    events = observation.events
    # Nothing continues from an observer run's sends: no later step reports these jobs.
    return Prepared(inputs, events, JobLedger(None), deadline)


def _components(
    reporter: Reporter,
    environ: Mapping[str, str],
    loaded: LoadedInputs,
    run: RunContext | None,
    problems: list[Problem],
    network: tuple[Deadline, Clock],
) -> list[str]:
    """component-id's items, else the ids of the compass.yml files; changed-only applied."""
    inputs = loaded.inputs
    if "component_id" in loaded.unchecked:
        return []
    if inputs.component_ids:
        listed = inputs.component_ids
        if inputs.changed_only:
            # Only a compass.yml file says which folder a component lives in.
            _notifier(reporter)(
                "changed-only applies to the components found in compass.yml files; every "
                "component given in component-id is reported"
            )
    else:
        from .components import find_components

        found = find_components(
            environ.get("GITHUB_WORKSPACE"), inputs.compass_file_patterns, network[0]
        )
        for warning in found.warnings:
            reporter.annotate("warning", warning, "compass-files")
        problems.extend(found.problems)
        if not found.components and not found.problems:
            problems.append(Problem("component-id", found.none_found()))
        if found.problems or run is None:
            return []
        listed = [component.id for component in found.components]
        if inputs.changed_only:
            from .changes import changed_components

            listed = changed_components(
                inputs, run, environ, found.components, *network, _notifier(reporter)
            )
    if len(listed) > 1 and inputs.external_event_source_id is not None:
        problems.append(
            Problem(
                "external-event-source-id",
                "must be empty with several components: one source for all of them would show "
                "each component's events on the others",
            )
        )
    return listed


def _is_observer_run(inputs: ActionInputs, run: RunContext) -> bool:
    """observe.py's rule, asked only of a run of the event it observes from."""
    if run.event_name != OBSERVED_EVENT:
        return False
    from .observe import is_observer_run

    return is_observer_run(inputs, run)


def _mode_problems(inputs: ActionInputs, run: RunContext) -> list[Problem]:
    """What an observer run and a reconcile must be given, asked of their modules only when
    the run may be one."""
    problems = []
    if run.event_name == OBSERVED_EVENT:
        from .observe import observer_problems

        problems += observer_problems(inputs, run)
    if inputs.reconcile is not None:
        from .reconcile import reconcile_problems

        problems += reconcile_problems(inputs, run)
    return problems


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

    Which rules apply depends on event-type, so nothing is derived while it is wrong, nor
    with ``event-type: none``, which derives no event.
    """
    if "event_type" in loaded.unchecked or not loaded.inputs.sends_event:
        return []
    inputs = loaded.inputs
    probe = inputs.model_copy(
        update={
            # A state of deployments and builds; the other kinds default or say it is required.
            "state": inputs.state or ("UNKNOWN" if inputs.event_type in JOB_STATUS_KINDS else None),
            # A slug is looked up only once every input is right; until then, the probe's ARI.
            "component_id": next(
                (item for item in inputs.component_ids if not is_component_slug(item)),
                _PROBE_COMPONENT,
            ),
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


def _warn_about_a_repository_key_by_name(
    reporter: Reporter, inputs: ActionInputs, run: RunContext
) -> None:
    """No GITHUB_REPOSITORY_ID, no payload ``repository.id``: the name keys the event source."""
    if run.repository_id is None and run.repository and inputs.external_event_source_id is None:
        reporter.annotate(
            "warning",
            "Neither GITHUB_REPOSITORY_ID nor the event payload's repository.id is set, so the "
            f"event source id uses the repository's name ({run.repository}): a rename of the "
            "repository would start a new event source and split the component's history in "
            "Compass; set GITHUB_REPOSITORY_ID, or external-event-source-id to a stable value",
            "GITHUB_REPOSITORY_ID",
        )


def _notifier(reporter: Reporter) -> Callable[[str], None]:
    def notice(message: str) -> None:
        reporter.annotate("notice", message, "compass-action")

    return notice


def _warner(reporter: Reporter) -> Callable[[str], None]:
    def warn(message: str) -> None:
        reporter.annotate("warning", message, _WARNING_TITLE)

    return warn
