"""What the kinds keyed by an id of their own share: push, custom, lifecycle, flag, alert,
incident and vulnerability events.

Compass tells such an event apart by its source and its ``id``; successive sends of one event
(an incident opened, then resolved) share the id and carry growing update sequence numbers. The
job status says nothing about them, so their state is the kind's own: given, derived from the
run's payload, or the kind's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..problems import Problem
from ..text import markdown_cell, markdown_code, rfc3339
from .states import DEFAULT_STATE, accepted_states

if TYPE_CHECKING:
    from .builder import Derivation
    from .kind import Common, Facts


@dataclass(frozen=True)
class KeyedFacts:
    kind: str
    event_id: str
    own_state: str | None
    payload_sequence: int | None = None
    link: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, plain text) rows

    def ledger_key_parts(self) -> list[object]:
        return [self.kind, self.event_id]

    def log_lines(self) -> list[str]:
        return [f"{label}: {value}" for label, value in self.notes]

    def log_keys(self) -> list[str]:
        return [f"id={self.event_id}"]

    def outputs(self) -> dict[str, str]:
        return {"event-id": self.event_id}

    def summary_rows(self) -> list[tuple[str, str]]:
        return [(label, markdown_cell(value)) for label, value in self.notes]

    def summary_key_rows(self) -> list[tuple[str, str]]:
        return [("Event ID", markdown_code(self.event_id))]


# Inputs about pipelines and environments, which only deployments and builds have.
_PIPELINE_INPUTS = ("environment", "environment-category", "environment-id", "pipeline-id")
# Inputs that some of these kinds use: the others say they ignore them.
_OPTIONAL_INPUTS = ("icon", "started-at", "ended-at")


class KeyedKind:
    """The common part of a kind keyed by its id; a subclass derives its facts and body."""

    has_pipeline = False
    uses: frozenset[str] = frozenset()  # of _OPTIONAL_INPUTS, the ones the kind uses

    def derive(self, derivation: Derivation) -> KeyedFacts | None:
        inputs = derivation.inputs
        for name in (*_PIPELINE_INPUTS, "sequence-number", *_OPTIONAL_INPUTS):
            if name not in self.uses and getattr(inputs, name.replace("-", "_")) is not None:
                derivation.warnings.append(
                    f"{name} does not apply to {inputs.event_type.a} event; ignored"
                )
        return self.derive_own(derivation)

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        raise NotImplementedError

    def pipeline_id(self, derivation: Derivation) -> str | None:
        return None

    def started_at(self, derivation: Derivation) -> datetime | None:
        return None

    def description_head(self, derivation: Derivation, facts: Facts) -> str:
        return f"{derivation.inputs.event_type.value.capitalize()} event of " + (
            derivation.run.repository or "the repository"
        )


def given_id(derivation: Derivation, what: str) -> str | None:
    """The ``event-id`` input, or a problem saying what to put there."""
    event_id = derivation.inputs.event_id
    if event_id is None:
        kind = derivation.inputs.event_type.a
        derivation.problems.append(Problem("event-id", f"is required for {kind} event: {what}"))
    return event_id


def state_of(derivation: Derivation, derived: str | None = None) -> str | None:
    """The ``state`` input; else what the run says; else the kind's default; else a problem."""
    inputs = derivation.inputs
    state = inputs.state or derived or DEFAULT_STATE.get(inputs.event_type)
    if state is None:
        accepted = accepted_states(inputs.event_type)
        message = f"is required for {inputs.event_type.a} event: one of {accepted}"
        derivation.problems.append(Problem("state", message))
    return state


def facts_of(facts: Facts) -> KeyedFacts:
    assert isinstance(facts, KeyedFacts)
    return facts


def ended_at(derivation: Derivation, common: Common, ending: bool) -> str | None:
    """When the event ended: ``ended-at``, else now, for a state that ends it; else none."""
    given = derivation.inputs.ended_at
    if not ending:
        if given is not None:
            derivation.warnings.append(
                f"ended-at applies to {derivation.inputs.event_type.a} event only in the state "
                f"that ends it, not {common.state}; ignored"
            )
        return None
    return rfc3339(given) if given is not None else str(common.envelope["last_updated"])
