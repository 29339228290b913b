"""Alert events: an alert of a monitoring tool opened, acknowledged, snoozed or closed.

The alert's id must be given. ``state`` is its status (OPENED by default), ``severity`` its
priority (P1 to P5). Of the status times, the one that matches the status is set: ``createdAt``
from ``started-at`` (else the first send of the alert in this job, else now), ``closedAt`` from
``ended-at`` (else now), ``acknowledgedAt`` and ``snoozedAt`` now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .contract import (
    AlertPriority,
    AlertStatus,
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, ended_at, facts_of, given_id, state_of
from .kind import Common, Facts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class AlertProperties(ContractModel):
    id: NonEmpty
    status: AlertStatus | None = None
    priority: AlertPriority | None = None
    created_at: str | None = None
    acknowledged_at: str | None = None
    snoozed_at: str | None = None
    closed_at: str | None = None


class AlertEvent(EventCommon):
    alert_properties: AlertProperties


class AlertInput(EventInput):
    alert: AlertEvent


class Alert(KeyedKind):
    event_type = EventType.ALERT
    uses = frozenset({"started-at", "ended-at"})

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        event_id = given_id(derivation, "the alert's ID in the tool that raised it")
        status = state_of(derivation)
        if event_id is None or status is None:
            return None
        notes = [("Priority", derivation.inputs.severity)] if derivation.inputs.severity else []
        return KeyedFacts(self.event_type.value, event_id, status, notes=notes)

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        keyed = facts_of(facts)
        return f"Alert {keyed.event_id} {(keyed.own_state or '').lower()}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        status = AlertStatus(common.state)
        now = str(common.envelope["last_updated"])
        severity = derivation.inputs.severity
        return AlertInput(
            alert=AlertEvent(
                **common.envelope,
                alert_properties=AlertProperties(
                    id=keyed.event_id,
                    status=status,
                    priority=AlertPriority(severity) if severity else None,
                    created_at=common.started_at if status is AlertStatus.OPENED else None,
                    acknowledged_at=now if status is AlertStatus.ACKNOWLEDGED else None,
                    snoozed_at=now if status is AlertStatus.SNOOZED else None,
                    closed_at=ended_at(derivation, common, status is AlertStatus.CLOSED),
                ),
            )
        )


ALERT = Alert()
