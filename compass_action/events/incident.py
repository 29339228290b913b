"""Incident events, given by inputs or derived from an issue labelled as an incident.

In an ``issues`` run, an issue carrying the ``incident-label`` label (``incident`` by default) is
an incident, keyed by the repository and the issue number:

- OPEN while the issue is open (opened, reopened, labelled, edited), RESOLVED once it is closed
  (``endTime`` = when it was closed), DELETED when the issue is deleted or loses the label;
- ``startTime`` = when the issue was created;
- the severity from the most severe label such as ``sev1`` ... ``sev5``, ``severity:2`` or
  ``severity:high`` (critical ONE, high TWO, medium THREE, low FOUR), unless ``severity`` is
  given; the label is shown as the severity's label;
- the issue's title and link are the event's.

The state follows the issue's state in the payload rather than the action alone, so a label
added to a closed issue keeps the incident RESOLVED. Runs for one issue can finish out of order
(opened, labelled and closed within seconds), so the update sequence number is the issue's own
time of change in microseconds plus the action's place (below), not the time of sending: the
last change GitHub made is the one Compass keeps, whichever run sends last. It stays on the scale
of the clock-based numbers, so an incident later updated by hand (``event-id``) still moves on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..github.payload import Issue
from ..github.run_context import RunContext
from ..text import rfc3339
from . import identity
from .contract import (
    MAX_SAFE_INTEGER,
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    IncidentLevel,
    IncidentState,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, ended_at, facts_of, given_id, state_of
from .kind import Common, Facts
from .severity import most_severe_label

if TYPE_CHECKING:
    from datetime import datetime

    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class IncidentSeverity(ContractModel):
    label: str | None = None
    level: IncidentLevel | None = None


class IncidentProperties(ContractModel):
    id: NonEmpty
    state: IncidentState
    start_time: NonEmpty
    end_time: str | None = None
    severity: IncidentSeverity | None = None


class IncidentEvent(EventCommon):
    incident_properties: IncidentProperties


class IncidentInput(EventInput):
    incident: IncidentEvent


# GitHub stamps an issue's changes to the second; within one second, an action's place orders
# the sends: a later action of the same second wins.
_ACTION_ORDER = {
    "opened": 1,
    "reopened": 1,
    "labeled": 2,
    "unlabeled": 2,
    "closed": 3,
    "deleted": 4,
}
_OTHER_ACTION = 2


def issue_incident_state(issue: Issue, label: str) -> str | None:
    """The incident state an ``issues`` run reports; None when the issue is no incident."""
    # GitHub's label names are unique regardless of case.
    label = label.casefold()
    carries = label in (name.casefold() for name in issue.labels)
    if issue.action == "deleted" and carries:
        return IncidentState.DELETED.value
    if not carries:
        # The label was just taken off: the issue was an incident and no longer is.
        changed = (issue.changed_label or "").casefold()
        if issue.action == "unlabeled" and changed == label:
            return IncidentState.DELETED.value
        return None
    return IncidentState.OPEN.value if issue.open else IncidentState.RESOLVED.value


def _issue_sequence(issue: Issue) -> int | None:
    changed = issue.updated_at or issue.closed_at or issue.created_at
    if changed is None:
        return None
    value = int(changed.timestamp()) * 1_000_000 + _ACTION_ORDER.get(issue.action, _OTHER_ACTION)
    return value if 0 <= value <= MAX_SAFE_INTEGER else None


def _issue_id(run: RunContext, issue: Issue) -> str | None:
    # The issue belongs to the repository, whichever components report it.
    repository = identity.repository_key(run)
    return None if repository is None else f"{repository}/issues/{issue.number}"


class Incident(KeyedKind):
    event_type = EventType.INCIDENT
    uses = frozenset({"started-at", "ended-at"})

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        run, inputs = derivation.run, derivation.inputs
        issue = run.issue
        if issue is None or inputs.event_id is not None:
            event_id = given_id(derivation, "the incident's ID, e.g. INC-1234")
            state = state_of(derivation)
            if event_id is None or state is None:
                return None
            return KeyedFacts(self.event_type.value, event_id, state)
        event_id = derivation.need(
            _issue_id(run, issue), "event-id", "GITHUB_REPOSITORY is not set"
        )
        state = state_of(derivation, issue_incident_state(issue, inputs.incident_label))
        if event_id is None or state is None:
            return None
        notes = [("Issue", f"#{issue.number} {issue.title}")]
        return KeyedFacts(
            self.event_type.value,
            event_id,
            state,
            payload_sequence=_issue_sequence(issue),
            link=issue.url,
            notes=notes,
        )

    def started_at(self, derivation: Derivation) -> datetime | None:
        issue = derivation.run.issue
        return (
            issue.created_at if issue is not None and derivation.inputs.event_id is None else None
        )

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        issue = derivation.run.issue
        if issue is not None and derivation.inputs.event_id is None:
            return f"Incident: {issue.title}"
        return f"Incident {facts_of(facts).event_id}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        state = IncidentState(common.state)
        return IncidentInput(
            incident=IncidentEvent(
                **common.envelope,
                incident_properties=IncidentProperties(
                    id=keyed.event_id,
                    state=state,
                    start_time=common.started_at,
                    end_time=self._end_time(derivation, common, state),
                    severity=self._severity(derivation),
                ),
            )
        )

    def _end_time(self, derivation: Derivation, common: Common, state: IncidentState) -> str | None:
        resolved = state is IncidentState.RESOLVED
        issue = derivation.run.issue
        if resolved and derivation.inputs.ended_at is None and issue and issue.closed_at:
            return rfc3339(issue.closed_at)  # when the issue was closed, whenever it is sent
        return ended_at(derivation, common, resolved)

    def _severity(self, derivation: Derivation) -> IncidentSeverity | None:
        if derivation.inputs.severity is not None:
            return IncidentSeverity(level=IncidentLevel(derivation.inputs.severity))
        issue = derivation.run.issue
        found = most_severe_label(list(issue.labels)) if issue is not None else None
        if found is None:
            return None
        label, level = found
        return IncidentSeverity(label=label, level=IncidentLevel(level))


INCIDENT = Incident()
