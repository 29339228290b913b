"""The action from start to exit code: read, derive, send, report."""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Mapping

from .clients.compass_answers import explain_rejection, explain_untrusted
from .clients.delivery import Outcome
from .clients.graphql import GraphQLError, Trouble
from .clients.http import Clock
from .events.builder import BuiltEvent
from .input_names import carrying_variables, variable_name
from .inputs import ActionInputs, FailOn
from .policy import Failure, fail_on_fallback, fails_step
from .preflight import preflight
from .prepare import Skipped, prepare
from .problems import InputProblems, Problem
from .report.reporter import Reporter
from .report.results import RunResult, outputs, problems_summary, skipped_summary, summary
from .send import Clients, SendOptions, SendResult, send_event
from .setup import resolve_component
from .verify import Recorded

# The time sources of a run. The in-process test runner (tools/action_runner.py) swaps in a
# clock whose sleeps cost no real time, so back-off and budgets are tested without waiting.
CLOCK = Clock()


def main() -> int:
    environ = os.environ
    return start(Reporter.from_environ(environ), environ)


def start(reporter: Reporter, environ: Mapping[str, str]) -> int:
    """The action with its reporter: secrets registered first, then the run, bugs reported."""
    # Registered before anything is read or printed, so even an error about them is scrubbed.
    register_secrets(reporter, environ)
    fail_on = fail_on_fallback(environ.get(variable_name("fail-on")))
    try:
        return run(reporter, environ)
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


# Where the token and the e-mail can come from. pydantic-settings reads COMPASS_* without regard
# to case, so "compass_api_token" works and must be masked too; the runner also sets the input
# itself as INPUT_API-TOKEN.
_TOKEN_VARIABLES = carrying_variables("api-token")
_EMAIL_VARIABLES = carrying_variables("user-email")


def register_secrets(reporter: Reporter, environ: Mapping[str, str]) -> None:
    """Mask every token the environment holds, in any spelling of its variable's name."""
    tokens = [value for name, value in environ.items() if name.upper() in _TOKEN_VARIABLES]
    emails = [value for name, value in environ.items() if name.upper() in _EMAIL_VARIABLES]
    for token in tokens:
        reporter.add_secret(token)
        for email in emails:
            reporter.add_credentials(email, token)


def run(reporter: Reporter, environ: Mapping[str, str]) -> int:
    fail_on = fail_on_fallback(environ.get(variable_name("fail-on")))
    with contextlib.ExitStack() as stack:
        connection = _Connection(reporter, stack)
        try:
            prepared = prepare(reporter, environ, CLOCK.wall(), connection.resolve)
        except InputProblems as exc:
            return _bad_input(reporter, exc.problems, fail_on)
        except GraphQLError as exc:  # the component's slug could not be looked up
            return _bad_input(reporter, [Problem("component-id", str(exc))], fail_on, exc)
        if isinstance(prepared, Skipped):
            return _skipped(reporter, prepared.reason)
        inputs, event = prepared.inputs, prepared.event

        _log_event(reporter, event)
        if inputs.dry_run:
            if inputs.site is not None:
                reporter.info(f"Dry run: would POST to {inputs.events_url}")
            reporter.group("Dry run: the request body that would be sent", _pretty(event.body))
            return _finish(
                reporter, event, RunResult("dry-run", False, "Dry run: nothing was sent")
            )
        clients = connection.open(inputs)
        if inputs.preflight:
            return _preflight(reporter, inputs, event, clients)

        reporter.debug(f"POST {inputs.events_url}", _pretty(event.body))
        options = SendOptions(inputs.setup_event_source, inputs.verify)
        sent = send_event(event, clients, options, reporter)
        if clients.graphql.calls:
            reporter.info(
                f"GraphQL requests: {clients.graphql.calls}; they count against Compass's 100 "
                "requests per user per minute with the events"
            )
    if sent.delivery.outcome is Outcome.ACCEPTED:
        # Only what Compass accepted is continued from: a later step of the job keeps this
        # event's start and numbers its updates above this one.
        prepared.ledger.put(*event.ledger_entry)
    return _report_delivery(reporter, inputs, event, sent)


class _Connection:
    """The run's clients, opened when first needed (a slug's lookup, or the send)."""

    def __init__(self, reporter: Reporter, stack: contextlib.ExitStack) -> None:
        self._reporter, self._stack = reporter, stack
        self._clients: Clients | None = None

    def open(self, inputs: ActionInputs) -> Clients:
        if self._clients is None:
            self._clients = Clients.open(inputs, self._reporter, CLOCK, self._stack)
        return self._clients

    def resolve(self, inputs: ActionInputs) -> ActionInputs:
        if inputs.component_slug is None:
            return inputs
        clients = self.open(inputs)
        return resolve_component(
            inputs, clients.graphql, clients.site_host, clients.deadline, self._reporter
        )


def _preflight(
    reporter: Reporter, inputs: ActionInputs, event: BuiltEvent, clients: Clients
) -> int:
    reporter.info("Preflight: checking the set-up; no event is sent (preflight: true)")
    report = preflight(inputs, event, clients.graphql, clients.site_host, clients.deadline)
    for finding in report.findings:
        reporter.info(f"{'OK' if finding.ok else 'Problem'}: {finding.check}: {finding.text}")
    reporter.set_outputs(outputs(event, RunResult("preflight", False, "")))
    reporter.write_summary(report.summary())
    failure = Failure.UNAVAILABLE if report.unavailable else Failure.COMPASS_REFUSED
    code = 0
    for problem in report.problems:
        title = f"Preflight: {problem.check}"
        code = max(code, _fail(reporter, failure, inputs.fail_on, problem.text, title))
    return code


def _pretty(body: object) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def _log_event(reporter: Reporter, event: BuiltEvent) -> None:
    state = f", state {event.state}" if event.state else ""
    reporter.info(f"Compass {event.event_type.value} event{state}")
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


def _setup_failed(
    reporter: Reporter, inputs: ActionInputs, event: BuiltEvent, error: GraphQLError, status: str
) -> int:
    message = (
        "Compass has no event source for this event on the component (HTTP 404), and "
        f"setting one up failed: {error}"
    )
    unavailable = error.trouble is Trouble.UNAVAILABLE
    failure = Failure.UNAVAILABLE if unavailable else Failure.COMPASS_REFUSED
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
    said = verification.describe(event.update_sequence_number)
    recorded = verification.outcome is Recorded.RECORDED
    run = RunResult(run.status, run.delivered, f"{run.headline}. {said}", recorded)
    code = 0
    if recorded:
        reporter.info(said)
    else:
        # Superseded is a set-up to fix (an update-sequence-number that does not grow); not
        # seen in time may pass, as Compass being slow does.
        superseded = verification.outcome is Recorded.SUPERSEDED
        failure = Failure.COMPASS_REFUSED if superseded else Failure.UNAVAILABLE
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
) -> int:
    """Report the inputs to fix; ``lookup`` is the failed lookup that found the problem."""
    failure = Failure.BAD_INPUT
    if lookup is not None:
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
