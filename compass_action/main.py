"""The action from start to exit code: read, derive, send, report."""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .clients.compass_answers import explain_rejection, explain_untrusted
from .clients.delivery import Outcome
from .clients.http import Clock
from .input_names import carrying_variables, variable_name
from .inputs import ActionInputs, FailOn
from .limits import Deadline
from .policy import Failure, fail_on_fallback, fails_step
from .prepare import Prepared, Skipped, prepare
from .problems import InputProblems, Problem
from .report.reporter import Reporter
from .report.results import (
    ComponentResult,
    RunResult,
    outputs,
    problems_summary,
    several_summary,
    skipped_summary,
    summary,
)
from .send import Clients, SendOptions, SendResult, send_event

# A mode's modules are imported by the function that runs the mode, not here: a plain send
# never loads the GitHub API client, the GraphQL client, or the observer's, reconcile's, verify's
# and preflight's code (tests/test_imports.py keeps it so; docs/benchmarks.md has the costs).
if TYPE_CHECKING:
    from .clients.github_api import GitHubApiError
    from .clients.graphql import GraphQLError
    from .events.builder import BuiltEvent
    from .reconcile import Reconciling
    from .verify import Recorded

MAIN_STAGE, POST_STAGE = "main", "post"
# track-job: the GITHUB_STATE name the post step reads back, and the GITHUB_ENV variable its
# post-if reads (see _register_post_step). Not COMPASS_*: those are the inputs' variables.
TRACKING_STATE = "TRACKING"
TRACKING_VARIABLE = "COMPASS_ACTION_TRACKING"
# Sends in flight at once: the pacer, not this, keeps the rate; more threads only wait.
MAX_CONCURRENT_SENDS = 8

# The time sources of a run. The in-process test runner (tools/action_runner.py) swaps in a
# clock whose sleeps cost no real time, so back-off and budgets are tested without waiting.
CLOCK = Clock()


def main(stage: str = MAIN_STAGE) -> int:
    environ = os.environ
    return start(Reporter.from_environ(environ), environ, stage)


def start(reporter: Reporter, environ: Mapping[str, str], stage: str = MAIN_STAGE) -> int:
    """The action with its reporter: secrets registered first, then the run, bugs reported."""
    if stage == POST_STAGE and not _tracked(environ):
        return 0  # nothing to finish (entrypoint.py ends this case before importing us)
    # Registered before anything is read or printed, so even an error about them is scrubbed.
    register_secrets(reporter, environ)
    fail_on = fail_on_fallback(environ.get(variable_name("fail-on")))
    try:
        code = run_post(reporter, environ) if stage == POST_STAGE else run(reporter, environ)
        return max(code, _report_runner_files(reporter, fail_on))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: say so plainly, keep the traceback for debug logs
        reporter.debug("The traceback:", traceback.format_exc())
        return _fail(
            reporter,
            Failure.INTERNAL,
            fail_on,
            f"compass-action failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Re-run with debug logging for details, and please report it.",
            "compass-action",
        )


def _report_runner_files(reporter: Reporter, fail_on: FailOn) -> int:
    """One error per runner file that could not be written, saying what Compass already has.

    The event may be delivered, yet later steps that read the outputs (or the post step that
    sends the final state) would act on nothing: a set-up to fix, as a refusal is. So under
    fail-on config and any the step fails; under never it warns and passes (docs/failures.md).
    """
    code = 0
    for failure in reporter.runner_file_failures:
        message = f"{reporter.delivered_so_far()}; {failure.describe()}"
        code = max(code, _fail(reporter, Failure.RUNNER_FILE, fail_on, message, failure.variable))
    return code


# Where the token and the e-mail can come from. pydantic-settings reads COMPASS_* without regard
# to case, so "compass_api_token" works and must be masked too; the runner also sets the input
# itself as INPUT_API-TOKEN.
_TOKEN_VARIABLES = carrying_variables("api-token") | carrying_variables("github-token")
_EMAIL_VARIABLES = carrying_variables("user-email")


def register_secrets(reporter: Reporter, environ: Mapping[str, str]) -> None:
    """Mask every token the environment holds, in any spelling of its variable's name."""
    # The names first, the values only of those that match: os.environ decodes each value read.
    names = list(environ)
    tokens = [environ[name] for name in names if name.upper() in _TOKEN_VARIABLES]
    emails = [environ[name] for name in names if name.upper() in _EMAIL_VARIABLES]
    for token in tokens:
        reporter.add_secret(token)
        for email in emails:
            reporter.add_credentials(email, token)


def _tracked(environ: Mapping[str, str]) -> bool:
    """Whether this use of the action turned track-job on in its main step."""
    return environ.get(f"STATE_{TRACKING_STATE}") == "true"


def run_post(reporter: Reporter, environ: Mapping[str, str]) -> int:
    """The post step: the final state of what the main step started, from the job's status."""
    return run(reporter, environ, POST_STAGE)


def run(reporter: Reporter, environ: Mapping[str, str], stage: str = MAIN_STAGE) -> int:
    """The step: its events, then its metric values and uploads (extras/) if it has any."""
    later: list[Prepared] = []
    code = _run(reporter, environ, stage, later)
    for prepared in later:  # extras/ is imported only when one of its inputs is set
        from .extras.flow import send_extras

        code = max(code, send_extras(reporter, prepared, environ, CLOCK))
    return code


def _run(reporter: Reporter, environ: Mapping[str, str], stage: str, later: list[Prepared]) -> int:
    fail_on = fail_on_fallback(environ.get(variable_name("fail-on")))
    with contextlib.ExitStack() as stack:
        connection = _Connection(reporter, stack)
        try:
            prepared = prepare(reporter, environ, CLOCK.wall(), stage, CLOCK, connection.resolve)
        except InputProblems as exc:
            return _bad_input(reporter, exc.problems, fail_on)
        except _graphql_error() as exc:  # a component's slug could not be looked up
            return _bad_input(reporter, [Problem("component-id", str(exc))], fail_on, exc)
        except _github_api_error() as exc:  # an observer run could not read the run it reports
            problem = Problem("github-token", f"the run to report could not be read: {exc}")
            return _bad_input(reporter, [problem], fail_on, unavailable=exc.unavailable)
        if isinstance(prepared, Skipped):
            return _skipped(reporter, prepared.reason)
        if not isinstance(prepared, Prepared):
            return _reconcile(reporter, prepared, environ, connection)
        inputs, events = prepared.inputs, prepared.events
        if prepared.extras is not None:
            later.append(prepared)  # sent by run() once the events are
            if not events:
                return 0  # event-type: none
        if inputs.track_job and stage == MAIN_STAGE:
            _register_post_step(reporter)

        for event in events:
            _log_event(reporter, event, several=len(events) > 1)
        if inputs.dry_run:
            return _dry_run(reporter, inputs, events)
        clients = connection.open(inputs, prepared.deadline)
        if inputs.preflight:
            return _preflight(reporter, inputs, events, clients)

        for event in events:
            reporter.debug(f"POST {inputs.events_url}", _pretty(event.body))
        options = SendOptions(inputs.setup_event_source, inputs.verify)
        sends = fan_out(events, clients, options, reporter)
        if clients.graphql_calls:
            reporter.info(
                f"GraphQL requests: {clients.graphql_calls}; they count against Compass's 100 "
                "requests per user per minute with the events"
            )
    for event, sent in zip(events, sends, strict=True):
        if sent.delivery.outcome is Outcome.ACCEPTED:
            # Only what Compass accepted is continued from: a later step of the job keeps this
            # event's start and numbers its updates above this one.
            prepared.ledger.put(*event.ledger_entry)
    if len(events) == 1:
        return _report_delivery(reporter, inputs, events[0], sends[0])
    return _report_several(reporter, inputs, events, sends)


def _reconcile(
    reporter: Reporter, plan: Reconciling, environ: Mapping[str, str], connection: _Connection
) -> int:
    """reconcile.py's run: the window's events, sent run by run through the account's pacer."""
    from .clients.github_api import GitHubApiError
    from .reconcile import reconcile, reconcile_summary

    inputs = plan.inputs
    clients = connection.open(inputs, plan.deadline)
    options = SendOptions(inputs.setup_event_source, False)
    try:
        counts = reconcile(
            reporter,
            plan,
            environ,
            CLOCK,
            lambda events: _one_by_one(events, clients, options, reporter),
        )
    except GitHubApiError as exc:
        problem = Problem("github-token", f"the runs to reconcile could not be read: {exc}")
        return _bad_input(reporter, [problem], inputs.fail_on, unavailable=exc.unavailable)
    reporter.write_summary(reconcile_summary(counts, inputs.reconcile or ""))
    reporter.info(
        f"Reconcile: {counts.sent} events sent, {counts.accepted} accepted, "
        f"{counts.current_runs} runs already current"
    )
    if counts.failed or counts.stopped:
        why = counts.stopped or f"{counts.failed} events were not delivered"
        message = f"{why}; the runs done are recorded, run the reconcile again to resume"
        return _fail(reporter, Failure.UNAVAILABLE, inputs.fail_on, message, "Compass reconcile")
    return 0


def _one_by_one(
    events: list[BuiltEvent], clients: Clients, options: SendOptions, reporter: Reporter
) -> list[SendResult]:
    """A reconcile's sends, one at a time through the pacer: with hundreds to send, Compass's
    100 a minute bounds the time, not the round trips, and requests that arrive in the order
    the pacer let them go cannot crowd the limit's window."""
    return [send_event(event, clients, options, reporter) for event in events]


def _dry_run(reporter: Reporter, inputs: ActionInputs, events: list[BuiltEvent]) -> int:
    if inputs.site is not None:
        reporter.info(f"Dry run: would POST to {inputs.events_url}")
    for event in events:
        reporter.group("Dry run: the request body that would be sent", _pretty(event.body))
    dry = RunResult("dry-run", False, "Dry run: nothing was sent")
    if len(events) == 1:
        return _finish(reporter, events[0], dry)
    return _finish_several(reporter, [ComponentResult(event, dry) for event in events], 0)


def _register_post_step(reporter: Reporter) -> None:
    """Have the runner run our post step, which sends the final state.

    What the runner does (actions/runner, src/Runner.Worker): ActionRunner.cs registers the post
    step whenever the main step runs, with ``runs.post-if`` as its condition, and StepsRunner.cs
    evaluates that condition like a step's ``if:``, in the job's contexts (github, job, env,
    steps, runner) but without ``inputs``, so ``post-if`` cannot read track-job. What it can
    read is ``env``, which includes what earlier steps wrote to GITHUB_ENV: hence the variable
    below, so that a job that never turns track-job on starts no post container at all. The
    post step gets this step's GITHUB_STATE as ``STATE_TRACKING`` (ActionRunner.cs), which tells
    it apart from another use of the action in the job that did turn it on. Its inputs are
    evaluated again when it runs (ActionRunner.cs, EvaluateStepInputs and EvaluateDefaultInput),
    so the job-status input's default ``${{ job.status }}`` is then the job's final status:
    StepsRunner.cs sets job.status from the job's result before the post steps run, failure
    and cancellation included (post-if is ``always() && ...``, so cancellation runs it too).
    """
    reporter.save_state(TRACKING_STATE, "true")
    reporter.export_env(TRACKING_VARIABLE, "true")


def fan_out(
    events: list[BuiltEvent], clients: Clients, options: SendOptions, reporter: Reporter
) -> list[SendResult]:
    """Send every component's event concurrently, in order of the results.

    The sends share one client, one deadline and the account's pacer, which keeps them all
    (retries included) under Compass's rate limit.
    """
    if len(events) == 1:
        return [send_event(events[0], clients, options, reporter)]
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_SENDS, len(events))) as pool:
        return list(pool.map(lambda event: send_event(event, clients, options, reporter), events))


def _report_several(
    reporter: Reporter,
    inputs: ActionInputs,
    events: list[BuiltEvent],
    sends: list[SendResult],
) -> int:
    """Each component's outcome as fail-on says, then the outputs and the summary of them all."""
    code = 0
    several = []
    for event, sent in zip(events, sends, strict=True):
        component = event.name
        result = sent.delivery
        status = "" if result.status is None else str(result.status)
        if sent.setup_error is not None:
            failure = _setup_failure(sent.setup_error)
            message = f"{_SETUP_FAILED}: {sent.setup_error}"
        elif result.outcome is Outcome.ACCEPTED:
            verification = sent.verification
            if verification is None:
                reporter.info(f"{component}: accepted by Compass (HTTP {status})")
                several.append(ComponentResult(event, RunResult(status, True, "Accepted")))
                continue
            from .verify import Recorded

            said = verification.describe(event.update_sequence_number)
            recorded = verification.outcome is Recorded.RECORDED
            several.append(ComponentResult(event, RunResult(status, True, said, recorded)))
            if recorded:
                reporter.info(f"{component}: {said}")
            else:
                failure = _verify_failure(verification.outcome)
                title = f"Compass verify for {component}"
                code = max(code, _fail(reporter, failure, inputs.fail_on, said, title))
            continue
        elif result.outcome in (Outcome.REJECTED, Outcome.UNTRUSTED):
            failure = Failure.COMPASS_REFUSED
            message = (
                explain_rejection(result.answer, component)
                if result.answer is not None
                else explain_untrusted(result.reason)
            ).message
        else:
            failure = Failure.UNAVAILABLE
            message = f"not recorded: Compass could not be reached ({result.reason})"
        title = f"Compass event for {component}"
        code = max(code, _fail(reporter, failure, inputs.fail_on, message, title))
        several.append(ComponentResult(event, RunResult(status, False, message)))
    return _finish_several(reporter, several, code)


def _finish_several(reporter: Reporter, several: list[ComponentResult], code: int) -> int:
    delivered = sum(item.result.delivered for item in several)
    failed = next((item for item in several if not item.result.delivered), several[0])
    noun = "events" if several[0].event.label else "components' events"
    headline = f"{delivered} of {len(several)} {noun} accepted by Compass"
    if several[0].result.status == "dry-run":
        headline = f"Dry run: nothing was sent for {len(several)} components"
    checked = [item.result.recorded for item in several if item.result.recorded is not None]
    recorded = None if not checked else all(checked)
    overall = RunResult(failed.result.status, delivered == len(several), headline, recorded)
    reporter.set_outputs(outputs(several[0].event, overall, several))
    reporter.write_summary(several_summary(several[0].event, several, headline))
    return code


class _Connection:
    """The run's clients, opened when first needed (a slug's lookup, or the send)."""

    def __init__(self, reporter: Reporter, stack: contextlib.ExitStack) -> None:
        self._reporter, self._stack = reporter, stack
        self._clients: Clients | None = None

    def open(self, inputs: ActionInputs, deadline: Deadline) -> Clients:
        if self._clients is None:
            self._clients = Clients.open(inputs, self._reporter, CLOCK, deadline, self._stack)
        return self._clients

    def resolve(self, inputs: ActionInputs, components: list[str], deadline: Deadline) -> list[str]:
        from .setup import resolve_components

        clients = self.open(inputs, deadline)
        return resolve_components(
            inputs, components, clients.graphql, clients.site_host, deadline, self._reporter
        )


def _preflight(
    reporter: Reporter, inputs: ActionInputs, events: list[BuiltEvent], clients: Clients
) -> int:
    from .preflight import preflight

    reporter.info("Preflight: checking the set-up; no event is sent (preflight: true)")
    code = 0
    summaries = []
    for event in events:
        report = preflight(inputs, event, clients.graphql, clients.site_host, clients.deadline)
        for finding in report.findings:
            reporter.info(f"{'OK' if finding.ok else 'Problem'}: {finding.check}: {finding.text}")
        summaries.append(report.summary())
        failure = Failure.UNAVAILABLE if report.unavailable else Failure.COMPASS_REFUSED
        for problem in report.problems:
            title = f"Preflight: {problem.check}"
            code = max(code, _fail(reporter, failure, inputs.fail_on, problem.text, title))
    reporter.set_outputs(outputs(events[0], RunResult("preflight", False, "")))
    reporter.write_summary("\n".join(summaries))
    return code


def _pretty(body: object) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def _log_event(reporter: Reporter, event: BuiltEvent, *, several: bool = False) -> None:
    which = f" for {event.name}" if several else ""
    state = f", state {event.state}" if event.state else ""
    reporter.info(f"Compass {event.event_type.value} event{which}{state}")
    for line in event.facts.log_lines():
        reporter.info(line)
    keys = [
        *([f"pipelineId={event.pipeline_id}"] if event.pipeline_id else []),
        *event.facts.log_keys(),
        f"updateSequenceNumber={event.update_sequence_number}",
    ]
    reporter.info("Keys: " + ", ".join(keys))
    for warning in event.warnings:
        reporter.annotate("warning", warning, "compass-action")


def _report_delivery(
    reporter: Reporter, inputs: ActionInputs, event: BuiltEvent, sent: SendResult
) -> int:
    result = sent.delivery
    status = "" if result.status is None else str(result.status)
    tries = f"after {result.attempts} attempts" if result.attempts > 1 else "on the first attempt"
    if sent.setup_error is not None:
        return _setup_failed(reporter, inputs, event, sent.setup_error, status)
    if result.outcome is Outcome.ACCEPTED:
        headline = f"Accepted by Compass (HTTP {status}) {tries}"
        reporter.info(f"{headline}. Compass processes events asynchronously.")
        accepted = RunResult(status, True, headline)
        return _report_verification(reporter, inputs, event, sent, accepted)
    if result.outcome in (Outcome.REJECTED, Outcome.UNTRUSTED):
        explanation = (
            explain_rejection(result.answer, event.request.component_id)
            if result.answer is not None
            else explain_untrusted(result.reason)
        )
        code = _fail(
            reporter,
            Failure.COMPASS_REFUSED,
            inputs.fail_on,
            explanation.message,
            f"Input {explanation.input}" if explanation.input else "Compass rejected the event",
        )
        _finish(reporter, event, RunResult(status, False, f"Rejected: {explanation.message}"))
        return code
    message = (
        "The event was not recorded: Compass could not be reached or stayed overloaded "
        f"({result.reason})."
    )
    code = _fail(reporter, Failure.UNAVAILABLE, inputs.fail_on, message, "Compass unavailable")
    _finish(reporter, event, RunResult(status, False, f"Not delivered: {result.reason}"))
    return code


_SETUP_FAILED = (
    "Compass has no event source for this event on the component (HTTP 404), and setting one "
    "up failed"
)


def _graphql_error() -> type[GraphQLError]:
    """What a slug's lookup raises; an ``except`` clause asks for it only once something was
    raised, so a run that looks nothing up never imports the GraphQL client."""
    from .clients.graphql import GraphQLError

    return GraphQLError


def _github_api_error() -> type[GitHubApiError]:
    """What reading GitHub's API raises (an observer run); imported as _graphql_error is."""
    from .clients.github_api import GitHubApiError

    return GitHubApiError


def _setup_failure(error: GraphQLError) -> Failure:
    from .clients.graphql import Trouble

    return Failure.UNAVAILABLE if error.trouble is Trouble.UNAVAILABLE else Failure.COMPASS_REFUSED


def _verify_failure(outcome: Recorded) -> Failure:
    """Superseded is a set-up to fix (an update-sequence-number that does not grow); not seen in
    time may pass, as Compass being slow does."""
    from .verify import Recorded

    return Failure.COMPASS_REFUSED if outcome is Recorded.SUPERSEDED else Failure.UNAVAILABLE


def _setup_failed(
    reporter: Reporter, inputs: ActionInputs, event: BuiltEvent, error: GraphQLError, status: str
) -> int:
    message = f"{_SETUP_FAILED}: {error}"
    failure = _setup_failure(error)
    code = _fail(reporter, failure, inputs.fail_on, message, "Compass event source")
    _finish(reporter, event, RunResult(status, False, f"Not delivered: {message}"))
    return code


def _report_verification(
    reporter: Reporter, inputs: ActionInputs, event: BuiltEvent, sent: SendResult, run: RunResult
) -> int:
    """The accepted event's result, with what verify found when it was asked for."""
    verification = sent.verification
    if verification is None:
        return _finish(reporter, event, run)
    from .verify import Recorded

    said = verification.describe(event.update_sequence_number)
    recorded = verification.outcome is Recorded.RECORDED
    run = RunResult(run.status, run.delivered, f"{run.headline}. {said}", recorded)
    code = 0
    if recorded:
        reporter.info(said)
    else:
        failure = _verify_failure(verification.outcome)
        code = _fail(reporter, failure, inputs.fail_on, said, "Compass verify")
    _finish(reporter, event, run)
    return code


def _fail(reporter: Reporter, failure: Failure, fail_on: FailOn, message: str, title: str) -> int:
    """Report a failure as an error or a warning, as fail-on says; return the exit code."""
    fails = fails_step(failure, fail_on)
    reporter.annotate("error" if fails else "warning", message, title)
    return 1 if fails else 0


def _bad_input(
    reporter: Reporter,
    problems: list[Problem],
    fail_on: FailOn,
    lookup: GraphQLError | None = None,
    unavailable: bool = False,
) -> int:
    """Report the inputs to fix; ``lookup`` is the failed lookup that found the problem;
    ``unavailable``: what failed was a service, not the input."""
    failure = Failure.UNAVAILABLE if unavailable else Failure.BAD_INPUT
    if lookup is not None:
        from .clients.graphql import Trouble

        unavailable = lookup.trouble is Trouble.UNAVAILABLE
        failure = Failure.UNAVAILABLE if unavailable else Failure.COMPASS_REFUSED
    code = 0
    for problem in problems:
        title = f"Input {problem.input}"
        if not reporter.github and not problem.input.startswith("GITHUB_"):
            title += f" ({problem.env_var})"
        code = max(code, _fail(reporter, failure, fail_on, problem.message, title))
    reporter.set_outputs(outputs(None, RunResult("", False, "")))
    reporter.write_summary(problems_summary(problems))
    return code


def _skipped(reporter: Reporter, reason: str) -> int:
    """Nothing to report for this run: say why, succeed, and output that nothing was sent."""
    reporter.annotate("notice", f"Nothing was sent to Compass: {reason}.", "Compass event skipped")
    reporter.set_outputs(outputs(None, RunResult("skipped", False, "")))
    reporter.write_summary(skipped_summary(reason))
    return 0


def _finish(reporter: Reporter, event: BuiltEvent, result: RunResult) -> int:
    reporter.set_outputs(outputs(event, result))
    reporter.write_summary(summary(event, result))
    return 0
