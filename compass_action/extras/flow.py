"""Sending a step's extras: metric values (and the uploads of ``uploads.py``), then reporting.

Each metric value goes to ``POST /gateway/api/compass/v1/metrics`` keyed by its metric
definition and component, through the account's one pacer (metrics share Compass's 100 requests
a minute with the events and GraphQL), under the run's one deadline, with the same retries as an
event. Names are looked up once per run. A definition Compass derives from events takes no
pushed value, so it is refused before anything is sent. When Compass answers 404 because the
component has no metric source for the definition, the source is found or created (as an event
source is, ``setup-event-source: auto``) and the value sent again, once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..clients.compass_answers import Answer
from ..clients.delivery import Delivery, DeliveryResult, Outcome, pacer_for
from ..clients.graphql import GraphQLClient, GraphQLError, Trouble
from ..clients.http import Clock
from ..events.identity import external_event_source_id
from ..inputs import EVENTS_PATH, ActionInputs, parse_component_ari
from ..limits import Deadline
from ..policy import Failure, fails_step
from ..report.reporter import Reporter
from ..report.results import RunResult, outputs
from ..text import markdown_cell as cell
from ..text import markdown_code as code
from . import compass_metrics as ops
from .metric_values import MetricValue
from .plan import Extras

if TYPE_CHECKING:
    from ..prepare import Prepared

METRICS_PATH = "/gateway/api/compass/v1/metrics"
UPLOAD_INPUTS = ("api-spec", "package-lock")


@dataclass(frozen=True)
class Row:
    """One value (or upload) for one component, and how its send ended."""

    component: str
    what: str  # the metric as given, or the input of an upload
    value: str  # the number sent, or the file
    status: str  # HTTP status, "dry-run", or "" when none came
    delivered: bool
    message: str
    failure: Failure | None = None

    def entry(self) -> dict[str, object]:
        return {
            "component": self.component,
            "metric": self.what,
            "value": self.value,
            "status": self.status,
            "delivered": self.delivered,
        }


def number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def metric_body(definition_id: str, component: str, value: float, timestamp: str) -> bytes:
    number: float | int = int(value) if value.is_integer() and abs(value) < 2**53 else value
    body = {
        "metricDefinitionId": definition_id,
        "componentId": component,
        "value": number,
        "timestamp": timestamp,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def send_extras(
    reporter: Reporter, prepared: Prepared, environ: Mapping[str, str], clock: Clock
) -> int:
    """Send the step's extras under its deadline, report them, and return the exit code
    fail-on gives. With no event (event-type: none) the step's outputs are written here."""
    inputs, extras, deadline = prepared.inputs, prepared.extras, prepared.deadline
    assert extras is not None
    only = not prepared.events
    if inputs.preflight:
        reporter.info("Preflight: metric values and uploads are not sent")
        if only:
            reporter.set_outputs(outputs(None, RunResult("preflight", False, "")))
        return 0
    for item in extras.metrics:
        reporter.info(f"Metric {item.metric}: {number_text(item.value)} ({item.origin})")
    if inputs.dry_run:
        rows = _dry_rows(reporter, inputs, extras)
    else:
        timestamp = extras.timestamp
        if extras.metrics:  # GitHub's API is asked only for values to send (run_time.py)
            from .run_time import values_time

            timestamp = values_time(reporter, inputs, extras, environ, deadline, clock)
            _say_attempt(reporter, extras, timestamp)
        with contextlib.ExitStack() as stack:
            sender = _Sender(reporter, inputs, extras, clock, deadline, stack)
            rows = sender.send_all(timestamp)
    return _report(reporter, inputs, rows, only)


def _say_attempt(reporter: Reporter, extras: Extras, timestamp: str) -> None:
    if extras.attempt == 1:
        return
    if timestamp == extras.timestamp:  # the step's: the notice of run_time.py said why
        said = "each metric gets another point at this step's time"
    else:
        said = "each value is sent again at the run's time, the first attempt's, not at a new one"
    reporter.info(
        f"This is attempt {extras.attempt} of the run: Compass keeps every metric value and "
        f"has no way to replace one; {said}"
    )


def _dry_rows(reporter: Reporter, inputs: ActionInputs, extras: Extras) -> list[Row]:
    rows = []
    if extras.metrics:
        reporter.info(
            f"Dry run: the bodies below carry this step's time, {extras.timestamp}; when "
            "sending, the values carry the time the workflow run was created, read from "
            "GitHub's API (the same for every attempt of the run)"
        )
    if any(not item.is_ari for item in extras.metrics):
        reporter.info(
            "Dry run: metric definitions given by name are looked up only when sending; the "
            "bodies below show the name where the definition's ARI will be"
        )
    for component in extras.components:
        for item in extras.metrics:
            body = metric_body(item.metric, component, item.value, extras.timestamp)
            reporter.group(
                f"Dry run: the metric value that would be sent for {item.metric}",
                json.dumps(json.loads(body), indent=2, ensure_ascii=False),
            )
            rows.append(
                Row(component, item.metric, number_text(item.value), "dry-run", False, "Dry run")
            )
    from .uploads import dry_upload_rows

    rows += dry_upload_rows(reporter, inputs, extras)
    return rows


class _Sender:
    def __init__(
        self,
        reporter: Reporter,
        inputs: ActionInputs,
        extras: Extras,
        clock: Clock,
        deadline: Deadline,
        stack: contextlib.ExitStack,
    ) -> None:
        assert inputs.user_email is not None and inputs.api_token is not None
        self.reporter, self.inputs, self.extras, self.clock = reporter, inputs, extras, clock
        self.deadline = deadline
        token = inputs.api_token.get_secret_value()
        self.pacer = pacer_for(inputs.user_email, clock)
        base = inputs.events_url[: -len(EVENTS_PATH)]
        self.base = base
        self.delivery = stack.enter_context(
            Delivery(
                base + METRICS_PATH,
                inputs.user_email,
                token,
                inputs.budget,
                reporter.info,
                clock=clock,
                pacer=self.pacer,
            )
        )
        self.graphql = stack.enter_context(
            GraphQLClient(
                inputs.graphql_url,
                inputs.user_email,
                token,
                reporter.info,
                clock=clock,
                pacer=self.pacer,
            )
        )
        self.stack = stack
        self.timestamp = extras.timestamp  # the values' time, set by send_all

    def send_all(self, timestamp: str) -> list[Row]:
        """Every value (at ``timestamp``, run_time.py's) and upload of the step, each a row."""
        self.timestamp = timestamp
        rows: list[Row] = []
        if self.extras.metrics:
            rows += self._metrics()
        if self.extras.uploads:
            from .uploads import send_uploads

            rows += send_uploads(self)
        if self.graphql.calls:
            self.reporter.info(
                f"GraphQL requests for metrics: {self.graphql.calls}; they count against "
                "Compass's 100 requests per user per minute"
            )
        return rows

    def _metrics(self) -> list[Row]:
        try:
            definitions = self._definitions()
        except GraphQLError as exc:
            failure = (
                Failure.UNAVAILABLE
                if exc.trouble is Trouble.UNAVAILABLE
                else (Failure.COMPASS_REFUSED)
            )
            message = f"the metric definitions could not be read: {exc}"
            return [
                Row(c, m.metric, number_text(m.value), "", False, message, failure)
                for c in self.extras.components
                for m in self.extras.metrics
            ]
        rows = []
        for component in self.extras.components:
            for item in self.extras.metrics:
                found = definitions[item.metric]
                shown = number_text(item.value)
                if isinstance(found, str):  # why it cannot be sent
                    rows.append(
                        Row(component, item.metric, shown, "", False, found, Failure.BAD_INPUT)
                    )
                    continue
                rows.append(self._send_value(component, item, found))
        return rows

    def _cloud_id(self) -> str:
        return self.inputs.cloud_id or parse_component_ari(self.extras.components[0]).cloud_id

    def _definitions(self) -> dict[str, ops.MetricDefinition | str]:
        """Each metric as given -> its definition, or the message why it cannot take values."""
        cloud = self._cloud_id()
        listed = ops.metric_definitions(self.graphql, cloud, self.deadline)
        by_id = {d.id: d for d in listed}
        result: dict[str, ops.MetricDefinition | str] = {}
        for item in self.extras.metrics:
            if item.is_ari:
                found = by_id.get(item.metric) or ops.metric_definition(
                    self.graphql, cloud, item.metric, self.deadline
                )
                if found is None:
                    result[item.metric] = (
                        f"Compass has no metric definition {item.metric} on this site; "
                        f"check {item.origin}"
                    )
                    continue
            else:
                named = [d for d in listed if d.name == item.metric] or [
                    d for d in listed if d.name.casefold() == item.metric.casefold()
                ]
                if len(named) != 1:
                    result[item.metric] = _name_problem(item, named, listed)
                    continue
                found = named[0]
                self.reporter.info(f"Metric definition {item.metric}: {found.id}")
            result[item.metric] = _derived_problem(found, item) if found.derived else found
        return result

    def _send_value(
        self, component: str, item: MetricValue, definition: ops.MetricDefinition
    ) -> Row:
        shown = number_text(item.value)
        body = metric_body(definition.id, component, item.value, self.timestamp)
        self.reporter.debug(f"POST {self.base}{METRICS_PATH}", body.decode())
        result = self.delivery.send(body, self.deadline)
        if self.inputs.setup_event_source == "auto" and missing_metric_source(result):
            self.reporter.info(
                f"Compass has no metric source of {definition.name or definition.id} on "
                f"{component} (HTTP 404); setting one up (setup-event-source: auto)"
            )
            try:
                self._set_up_source(component, definition)
            except GraphQLError as exc:
                failure = (
                    Failure.UNAVAILABLE
                    if exc.trouble is Trouble.UNAVAILABLE
                    else Failure.COMPASS_REFUSED
                )
                message = f"the metric source could not be set up: {exc}"
                return Row(component, item.metric, shown, "404", False, message, failure)
            self.reporter.info("Sending the metric value again, once")
            result = self.delivery.send(body, self.deadline)
        return _row(component, item.metric, shown, result)

    def _set_up_source(self, component: str, definition: ops.MetricDefinition) -> None:
        external = metric_source_id(self.extras, component, definition.id)
        sources = ops.component_metric_sources(self.graphql, component, self.deadline)
        mine = [s for s in sources if s.definition_id == definition.id]
        if mine:
            raise GraphQLError(
                f"the component has the metric source {mine[0].id} of {definition.id}, yet "
                "Compass answered 404; check that site and component-id name the same site"
            )
        created = ops.create_metric_source(
            self.graphql, component, definition.id, external, self.deadline
        )
        self.reporter.info(f"Created the metric source {external} ({created.id})")


def metric_source_id(extras: Extras, component: str, definition_id: str) -> str:
    """The external ID of the metric source: the event source's (repository and component)
    with the definition's own id, so each repository, component and metric has one source."""
    base = external_event_source_id(extras.run, component) or component.rsplit("/", 1)[-1]
    return f"{base}:metric:{definition_id.rsplit('/', 1)[-1]}"


def missing_metric_source(result: DeliveryResult) -> bool:
    """The 404 that says the component has no metric source of the definition. The same status
    also means an unknown definition or component (the contract's 404), so it must say so."""
    answer = result.answer
    if result.outcome is not Outcome.REJECTED or answer is None or answer.status != 404:
        return False
    return any(
        "METRIC_SOURCE" in (error.type or "").upper()
        or "metric source" in (error.message or "").lower()
        for error in answer.errors
    )


def _name_problem(
    item: MetricValue, named: list[ops.MetricDefinition], listed: list[ops.MetricDefinition]
) -> str:
    if named:
        ids = ", ".join(d.id for d in named)
        return f"{len(named)} metric definitions are named {item.metric!r} ({ids}); give the ARI"
    names = ", ".join(sorted(repr(d.name) for d in listed if not d.derived)[:10])
    return (
        f"Compass has no metric definition named {item.metric!r} on this site (check "
        f"{item.origin}); those that take values include {names or 'none'}"
    )


def _derived_problem(definition: ops.MetricDefinition, item: MetricValue) -> str:
    kinds = ", ".join(kind.lower() for kind in definition.derived_from)
    return (
        f"{definition.name or definition.id} is computed by Compass from the component's "
        f"{kinds} events and cannot take a value sent to it; send those events instead, or "
        f"send this number to a custom metric definition (check {item.origin})"
    )


def _row(component: str, what: str, value: str, result: DeliveryResult) -> Row:
    status = "" if result.status is None else str(result.status)
    if result.outcome is Outcome.ACCEPTED:
        return Row(component, what, value, status, True, f"Accepted (HTTP {status})")
    if result.outcome in (Outcome.REJECTED, Outcome.UNTRUSTED):
        said = _said(result.answer) if result.answer is not None else result.reason
        return Row(
            component, what, value, status, False, f"Refused: {said}", Failure.COMPASS_REFUSED
        )
    return Row(
        component,
        what,
        value,
        status,
        False,
        f"Not delivered: {result.reason}",
        Failure.UNAVAILABLE,
    )


def _said(answer: Answer) -> str:
    said = "; ".join(str(error) for error in answer.errors)
    return f"HTTP {answer.status}" + (f": {said}" if said else f" ({answer.body_note})")


def _report(reporter: Reporter, inputs: ActionInputs, rows: list[Row], only: bool) -> int:
    exit_code = 0
    for row in rows:
        if row.failure is None:
            if row.delivered:
                reporter.info(f"{row.what} = {row.value} for {row.component}: {row.message}")
            continue
        fails = fails_step(row.failure, inputs.fail_on)
        kind = "upload" if row.what in UPLOAD_INPUTS else "metric"
        reporter.annotate(
            "error" if fails else "warning",
            f"{row.what} for {row.component}: {row.message}",
            f"Compass {kind} {row.what}",
        )
        exit_code = max(exit_code, 1 if fails else 0)
    values = {"metrics": json.dumps([r.entry() for r in rows], separators=(",", ":"))}
    if only:
        delivered = bool(rows) and all(r.delivered for r in rows)
        status = rows[0].status if rows else ""
        values = outputs(None, RunResult(status, delivered, "")) | values
    reporter.set_outputs(values)
    reporter.write_summary(summary(rows))
    return exit_code


def summary(rows: list[Row]) -> str:
    sent = sum(r.delivered for r in rows)
    listing = "\n".join(
        f"| {code(r.component)} | {cell(r.what)} | {cell(r.value)} | {cell(r.status)} | "
        f"{'yes' if r.delivered else 'no'} | {cell(r.message)} |"
        for r in rows
    )
    return (
        f"### Compass metric values and uploads: {sent} of {len(rows)} accepted\n\n"
        "| Component | Metric or file | Value | HTTP status | Delivered | Result |\n"
        f"|---|---|---|---|---|---|\n{listing}\n\n"
    )
