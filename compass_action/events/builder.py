"""Inputs plus run context in, one validated Compass event request out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

from ..github.payload import DeploymentStatus, mirrored_status
from ..github.run_context import RunContext
from ..inputs import ActionInputs
from ..problems import InputProblems, Problem
from ..text import COMPASS_TEXT, cut, rfc3339
from . import identity
from .contract import CreateEventRequest, EventInput, EventType
from .kind import Common, EventKind, Facts, kind_of
from .ledger import Entry, JobLedger
from .properties import with_properties
from .states import JOB_STATUS_KINDS, deployment_status_state, is_terminal

_NOT_IN_A_RUN = "cannot be derived outside a GitHub Actions run ({}); set it explicitly"


@dataclass
class BuiltEvent:
    request: CreateEventRequest
    event_type: EventType
    state: str  # "" for kinds without a state (push, custom)
    pipeline_id: str  # "" for kinds keyed by an id of their own
    update_sequence_number: int
    facts: Facts  # what the event's kind adds: its keys, log lines, outputs, summary rows
    warnings: list[str]
    # What later steps of the job continue from, recorded once Compass accepted the event.
    ledger_entry: tuple[str, Entry]
    # What the log and summary call it where one run sends several events for one component
    # (an observer run's jobs); "" names it by its component.
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.request.component_id

    @cached_property
    def body(self) -> dict[str, object]:
        """The request as JSON data, dumped once for the log, the payload and the send."""
        return self.request.to_json_dict()

    @cached_property
    def json_text(self) -> str:
        """The body as sent, serialised once: the bytes of every attempt and the payload output."""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Derivation:
    """Derives each value from an input or the run, collecting every problem on the way."""

    inputs: ActionInputs
    run: RunContext
    now: datetime
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def need(self, value: str | int | None, input_name: str, missing_because: str) -> Any:
        if value is None:
            self.problems.append(Problem(input_name, _NOT_IN_A_RUN.format(missing_because)))
        return value

    def fit(self, name: str, value: str) -> str:
        """Cut free text to what Compass shows, and say so."""
        if len(value) <= COMPASS_TEXT:
            return value
        self.warnings.append(
            f"{name} is {len(value)} characters long; cut to {COMPASS_TEXT}, the most Compass shows"
        )
        return cut(value, COMPASS_TEXT)

    @property
    def revision(self) -> str:
        run = self.run
        return run.version or (run.sha or "")[:7] or run.ref_name or "an unknown revision"

    @property
    def pipeline_name(self) -> str:
        return (
            " / ".join(part for part in (self.run.workflow, self.run.job) if part)
            or "GitHub Actions"
        )

    def default_description(self, head: str) -> str:
        run = self.run
        parts = [f"{head} at {self.revision}"]
        parts.extend(_github_deployment_notes(run))
        if run.commit_url:
            parts.append(f"commit {run.commit_url}")
        if run.run_number is not None:
            parts.append(f"{self.pipeline_name} run #{run.run_number}, attempt {run.run_attempt}")
        if run.actor:
            parts.append(f"by {run.actor}")
        return "; ".join(parts)

    @cached_property
    def mirrored_status(self) -> DeploymentStatus | None:
        return mirrored_status(
            self.run.github_deployment,
            reports_deployment=self.inputs.event_type is EventType.DEPLOYMENT,
            state_given=self.inputs.state is not None,
        )

    def check_times(self) -> None:
        for name, given in (
            ("started-at", self.inputs.started_at),
            ("ended-at", self.inputs.ended_at),
        ):
            if given is not None and given > self.now:
                self.problems.append(Problem(name, "is in the future"))


class _Keys(NamedTuple):
    """What tells this event apart in Compass, derived or given."""

    source_id: str
    pipeline_id: str
    url: str
    facts: Facts

    def ledger_key(self, component_id: str) -> str:
        return json.dumps(
            [component_id, self.pipeline_id, *self.facts.ledger_key_parts()],
            separators=(",", ":"),
        )


def _keys(derivation: Derivation, kind: EventKind) -> _Keys:
    """Derive every key, or raise InputProblems naming every input that must be given."""
    inputs, run = derivation.inputs, derivation.run
    source_id = derivation.need(
        inputs.external_event_source_id
        or identity.external_event_source_id(run, inputs.component_id or ""),
        "external-event-source-id",
        "GITHUB_REPOSITORY is not set",
    )
    pipeline_id = (
        derivation.need(
            inputs.pipeline_id or kind.pipeline_id(derivation),
            "pipeline-id",
            "GITHUB_REPOSITORY, GITHUB_RUN_ID or GITHUB_JOB is not set",
        )
        if kind.has_pipeline
        else ""
    )
    given_url = derivation.need(
        inputs.url or _status_link(run) or run.run_url, "url", "GITHUB_RUN_ID is not set"
    )
    derivation.check_times()
    facts = kind.derive(derivation)
    # What the kind links to (an issue, a commit) beats the run, not a given url.
    url = inputs.url or _status_link(run) or (facts.link if facts else None) or given_url
    if derivation.problems or facts is None:
        raise InputProblems(derivation.problems)
    return _Keys(source_id, pipeline_id, url, facts)


def _sequencing(
    derivation: Derivation,
    kind: EventKind,
    keys: _Keys,
    update_sequence: identity.UpdateSequence,
    ledger: JobLedger,
    state: str,
) -> tuple[str, int, str]:
    """startedAt, updateSequenceNumber and the ledger key, continuing what earlier steps of the
    job sent (and Compass accepted)."""
    assert derivation.inputs.component_id is not None
    key = keys.ledger_key(derivation.inputs.component_id)
    earlier = ledger.get(key)
    known_start = kind.started_at(derivation)
    if derivation.inputs.started_at is not None:
        started_at = rfc3339(derivation.inputs.started_at)
    elif known_start is not None:
        started_at = rfc3339(known_start)
    elif earlier is not None:
        started_at = earlier.started_at
    else:
        started_at = rfc3339(derivation.now)
    update_sequence_number = derivation.inputs.update_sequence_number
    if update_sequence_number is None and derivation.mirrored_status is not None:
        update_sequence_number = identity.status_update_sequence(derivation.mirrored_status)
    if update_sequence_number is None and keys.facts.payload_sequence is not None:
        # Above what an earlier step of this job sent for the same event, too.
        after = earlier.update_sequence_number + 1 if earlier else 0
        update_sequence_number = max(keys.facts.payload_sequence, after)
    if update_sequence_number is None:
        update_sequence_number = update_sequence.next(
            after=earlier.update_sequence_number if earlier else 0,
            final=kind.has_pipeline
            and identity.numbered_as_final(
                derivation.run,
                derivation.inputs.event_type is EventType.DEPLOYMENT,
                is_terminal(state),
                mirrors=derivation.mirrored_status is not None,
            ),
        )
    return started_at, update_sequence_number, key


def _state(derivation: Derivation, facts: Facts) -> str:
    """A kind's own state; else the state input; else the mirrored GitHub deployment status's
    state; else the job's."""
    if derivation.inputs.event_type not in JOB_STATUS_KINDS:
        return facts.own_state or ""
    if derivation.inputs.state is not None:
        return derivation.inputs.state
    if derivation.mirrored_status is not None:
        mapped = deployment_status_state(derivation.mirrored_status.state)
        # Statuses that are not reported are skipped before the event is built.
        assert mapped is not None, "checked by reason_to_skip()"
        return mapped
    assert derivation.inputs.job_status is not None, "checked by read_inputs()"
    return derivation.inputs.job_status


def _reported_at(derivation: Derivation) -> datetime:
    """When the reported state was reached: the mirrored status's time, else now."""
    status = derivation.mirrored_status
    if status is not None and status.created_at is not None:
        return status.created_at
    return derivation.now


def _status_link(run: RunContext) -> str | None:
    """A GitHub deployment status's log, else its target: where the deployment can be seen."""
    deployment = run.github_deployment
    if deployment is None or deployment.status is None:
        return None
    return deployment.status.log_url or deployment.status.target_url


def _github_deployment_notes(run: RunContext) -> list[str]:
    deployment = run.github_deployment
    if deployment is None:
        return []
    notes = [f"GitHub deployment {deployment.id}"]
    status = deployment.status
    if status is not None:
        notes.append(f"status {status.state}")
        if status.description:
            notes.append(status.description)
        if status.environment_url:
            notes.append(f"environment {status.environment_url}")
    return notes


def _with_given_properties(inputs: ActionInputs, event: EventInput) -> EventInput:
    """The ``properties`` input laid over what was derived, checked by the same models."""
    given = inputs.given_properties
    if not given:
        return event
    try:
        return with_properties(event, given)
    except ValueError as exc:
        raise InputProblems([Problem("properties", str(exc))]) from None


def build_event(
    inputs: ActionInputs,
    run: RunContext,
    now: Callable[[], datetime],
    update_sequence: identity.UpdateSequence,
    ledger: JobLedger | None = None,
) -> BuiltEvent:
    """Derive and validate the event; raise InputProblems naming every input to fix."""
    assert inputs.component_id is not None, "checked by read_inputs()"
    kind = kind_of(inputs.event_type)
    derivation = Derivation(inputs, run, now())
    keys = _keys(derivation, kind)
    facts = keys.facts
    state = _state(derivation, facts)
    reported_at = rfc3339(_reported_at(derivation))
    # Only numbered once the event is known to be valid.
    started_at, update_sequence_number, ledger_key = _sequencing(
        derivation, kind, keys, update_sequence, ledger or JobLedger(None), state
    )
    envelope: dict[str, Any] = {
        "display_name": derivation.fit(
            "display-name", inputs.display_name or kind.display_name(derivation, facts)
        ),
        "description": derivation.fit(
            "description",
            inputs.description
            or derivation.default_description(kind.description_head(derivation, facts)),
        ),
        "url": keys.url,
        "last_updated": reported_at,
        "update_sequence_number": update_sequence_number,
        "external_event_source_id": keys.source_id,
    }
    common = Common(
        envelope=envelope,
        state=state,
        pipeline_id=keys.pipeline_id,
        pipeline_url=_status_link(run) or run.job_url(inputs.check_run_id) or keys.url,
        pipeline_name=derivation.fit("pipeline display name", derivation.pipeline_name),
        started_at=started_at,
        completed_at=reported_at if is_terminal(state) else None,
    )
    request = CreateEventRequest(
        cloud_id=inputs.cloud_id or inputs.component.cloud_id,
        component_id=inputs.component_id,
        event=_with_given_properties(inputs, kind.event(derivation, common, facts)),
    )
    return BuiltEvent(
        request=request,
        event_type=inputs.event_type,
        state=state,
        pipeline_id=keys.pipeline_id,
        update_sequence_number=update_sequence_number,
        facts=facts,
        warnings=derivation.warnings,
        ledger_entry=(ledger_key, Entry(started_at, update_sequence_number)),
    )
