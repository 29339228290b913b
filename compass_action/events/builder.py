"""Inputs plus run context in, one validated Compass event request out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from ..github.payload import DeploymentStatus, mirrored_status
from ..github.run_context import RunContext
from ..inputs import ActionInputs
from ..problems import InputProblems, Problem
from ..text import cut
from . import identity
from .contract import (
    BuildEvent,
    BuildPipeline,
    BuildProperties,
    BuildState,
    CreateEventRequest,
    DeploymentEnvironment,
    DeploymentEvent,
    DeploymentPipeline,
    DeploymentProperties,
    DeploymentState,
    EventInput,
    EventType,
)
from .environments import Environment, environment_id, resolve_environment
from .ledger import Entry, JobLedger
from .states import deployment_status_state, is_terminal

# The longest text Compass is known to show in full (Atlassian's own integrations cut there).
MAX_TEXT = 255

_NOT_IN_A_RUN = "cannot be derived outside a GitHub Actions run ({}); set it explicitly"


@dataclass
class BuiltEvent:
    request: CreateEventRequest
    event_type: EventType
    state: str
    pipeline_id: str
    update_sequence_number: int
    environment: Environment | None
    environment_id: str | None
    sequence_number: int | None
    warnings: list[str]

    @cached_property
    def body(self) -> dict[str, object]:
        """The request as JSON data, dumped once for the log, the payload and the send."""
        return self.request.to_json_dict()

    @cached_property
    def json_text(self) -> str:
        """The body as sent, serialised once: the bytes of every attempt and the payload output."""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)


@dataclass
class _Derivation:
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
        if len(value) <= MAX_TEXT:
            return value
        self.warnings.append(
            f"{name} is {len(value)} characters long; cut to {MAX_TEXT}, the most Compass shows"
        )
        return cut(value, MAX_TEXT)

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

    def default_display_name(self, environment: Environment | None) -> str:
        if environment is None:
            number = f" #{self.run.run_number}" if self.run.run_number is not None else ""
            return f"Build of {self.run.ref_label or self.revision}{number}"
        return f"Deploy {self.revision} to {environment.name}"

    def default_description(self, environment: Environment | None) -> str:
        run = self.run
        if environment is None:
            where = f" ({run.ref_label})" if run.ref_label else ""
            what = f"Build of {run.repository or 'the repository'}{where}"
        else:
            what = f"Deployment to {environment.name} of {run.repository or 'the repository'}"
        parts = [f"{what} at {self.revision}"]
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

    def check_started_at(self) -> None:
        given = self.inputs.started_at
        if given is not None and given > self.now:
            self.problems.append(Problem("started-at", "is in the future"))


@dataclass(frozen=True)
class _Keys:
    """What tells this event apart in Compass, derived or given."""

    source_id: str
    pipeline_id: str
    url: str
    environment: Environment | None
    environment_id: str | None
    sequence: int | None

    def ledger_key(self, component_id: str) -> str:
        return json.dumps(
            [component_id, self.pipeline_id, self.environment_id, self.sequence],
            separators=(",", ":"),
        )


def _keys(d: _Derivation) -> _Keys:
    """Derive every key, or raise InputProblems naming every input that must be given."""
    inputs, run = d.inputs, d.run
    source_id = d.need(
        inputs.external_event_source_id or identity.external_event_source_id(run),
        "external-event-source-id",
        "GITHUB_REPOSITORY is not set",
    )
    pipeline_id = d.need(
        inputs.pipeline_id
        or identity.pipeline_id(
            run, inputs.check_run_id, deployment=inputs.event_type is EventType.DEPLOYMENT
        ),
        "pipeline-id",
        "GITHUB_REPOSITORY, GITHUB_RUN_ID or GITHUB_JOB is not set",
    )
    url = d.need(inputs.url or _status_link(run) or run.run_url, "url", "GITHUB_RUN_ID is not set")
    d.check_started_at()
    environment: Environment | None = None
    sequence: int | None = None
    if inputs.event_type is EventType.DEPLOYMENT:
        resolved = resolve_environment(inputs.environment, inputs.environment_category, run)
        if isinstance(resolved, Problem):
            d.problems.append(resolved)
        else:
            environment = resolved
            if resolved.warning is not None:
                d.warnings.append(resolved.warning)
        sequence = d.need(
            inputs.sequence_number
            if inputs.sequence_number is not None
            else identity.sequence_number(run),
            "sequence-number",
            "GITHUB_RUN_ID is not set or the run attempt is out of range",
        )
    if d.problems:
        raise InputProblems(d.problems)
    env_id = None
    if environment is not None:
        env_id = inputs.environment_id or environment_id(environment.name)
    else:
        _warn_deployment_only_inputs(d)
    return _Keys(source_id, pipeline_id, url, environment, env_id, sequence)


def _warn_deployment_only_inputs(d: _Derivation) -> None:
    given = {
        "environment-category": d.inputs.environment_category,
        "environment-id": d.inputs.environment_id,
        "sequence-number": d.inputs.sequence_number,
    }
    for name, value in given.items():
        if value is not None:
            d.warnings.append(f"{name} applies to deployments only; a build event ignores it")


def _sequencing(
    d: _Derivation, keys: _Keys, update_sequence: identity.UpdateSequence, ledger: JobLedger
) -> tuple[str, int]:
    """startedAt and updateSequenceNumber, continuing what earlier steps of the job sent."""
    assert d.inputs.component_id is not None
    key = keys.ledger_key(d.inputs.component_id)
    earlier = ledger.get(key)
    deployment = d.run.github_deployment if keys.environment is not None else None
    if d.inputs.started_at is not None:
        started_at = identity.rfc3339(d.inputs.started_at)
    elif deployment is not None and deployment.created_at is not None:
        # A GitHub deployment started when it was created, whichever run reports it.
        started_at = identity.rfc3339(deployment.created_at)
    elif earlier is not None:
        started_at = earlier.started_at
    else:
        started_at = identity.rfc3339(d.now)
    usn = d.inputs.update_sequence_number
    if usn is None and d.mirrored_status is not None:
        usn = identity.status_update_sequence(d.mirrored_status)
    if usn is None:
        usn = update_sequence.next(after=earlier.update_sequence_number if earlier else 0)
    ledger.put(key, Entry(started_at, usn))
    return started_at, usn


def _state(d: _Derivation) -> str:
    """The state input; else the mirrored GitHub deployment status's state; else the job's."""
    if d.inputs.state is not None:
        return d.inputs.state
    if d.mirrored_status is not None:
        mapped = deployment_status_state(d.mirrored_status.state)
        # Statuses that are not reported are skipped before the event is built.
        assert mapped is not None, "checked by reason_to_skip()"
        return mapped
    assert d.inputs.job_status is not None, "checked by load_inputs()"
    return d.inputs.job_status


def _reported_at(d: _Derivation) -> datetime:
    """When the reported state was reached: the mirrored status's time, else now."""
    status = d.mirrored_status
    if status is not None and status.created_at is not None:
        return status.created_at
    return d.now


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


def build_event(
    inputs: ActionInputs,
    run: RunContext,
    now: Callable[[], datetime],
    update_sequence: identity.UpdateSequence,
    ledger: JobLedger | None = None,
) -> BuiltEvent:
    """Derive and validate the event; raise InputProblems naming every input to fix."""
    assert inputs.component_id is not None, "checked by load_inputs()"
    d = _Derivation(inputs, run, now())
    keys = _keys(d)
    environment = keys.environment
    state = _state(d)
    reported_at = identity.rfc3339(_reported_at(d))
    # Only numbered once the event is known to be valid.
    started_at, usn = _sequencing(d, keys, update_sequence, ledger or JobLedger(None))
    envelope: dict[str, Any] = {
        "display_name": d.fit(
            "display-name", inputs.display_name or d.default_display_name(environment)
        ),
        "description": d.fit(
            "description", inputs.description or d.default_description(environment)
        ),
        "url": keys.url,
        "last_updated": reported_at,
        "update_sequence_number": usn,
        "external_event_source_id": keys.source_id,
    }
    completed_at = reported_at if is_terminal(state) else None
    pipeline_url = _status_link(run) or run.job_url(inputs.check_run_id) or keys.url
    pipeline_name = d.fit("pipeline display name", d.pipeline_name)
    pipeline_id = keys.pipeline_id
    if environment is None:
        event = EventInput(
            build=BuildEvent(
                **envelope,
                build_properties=BuildProperties(
                    state=BuildState(state),
                    pipeline=BuildPipeline(
                        pipeline_id=pipeline_id, url=pipeline_url, display_name=pipeline_name
                    ),
                    started_at=started_at,
                    completed_at=completed_at,
                ),
            )
        )
    else:
        assert keys.sequence is not None and keys.environment_id is not None
        event = EventInput(
            deployment=DeploymentEvent(
                **envelope,
                deployment_properties=DeploymentProperties(
                    sequence_number=keys.sequence,
                    state=DeploymentState(state),
                    pipeline=DeploymentPipeline(
                        pipeline_id=pipeline_id, url=pipeline_url, display_name=pipeline_name
                    ),
                    environment=DeploymentEnvironment(
                        category=environment.category,
                        display_name=d.fit("environment display name", environment.name),
                        environment_id=keys.environment_id,
                    ),
                    started_at=started_at,
                    completed_at=completed_at,
                ),
            )
        )
    request = CreateEventRequest(
        cloud_id=inputs.cloud_id or inputs.component.cloud_id,
        component_id=inputs.component_id,
        event=event,
    )
    return BuiltEvent(
        request=request,
        event_type=inputs.event_type,
        state=state,
        pipeline_id=pipeline_id,
        update_sequence_number=usn,
        environment=environment,
        environment_id=keys.environment_id,
        sequence_number=keys.sequence,
        warnings=d.warnings,
    )
