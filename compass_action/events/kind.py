"""What every kind of Compass event provides, and the registry that finds one by event type.

The common path (builder.py) derives what all kinds share: the event source, the update
sequence, the times, the texts around them, and for deployments and builds the pipeline. A kind
adds its own keys and properties, and says how its facts read in the log, the outputs and the job
summary. Adding a kind is one module with its contract models, a class of this shape and its
entry in ``kind_of``.
Kinds keyed by an id of their own rather than a pipeline (push, incident, ...) share the
``keyed.py`` base.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .contract import EventInput, EventType

if TYPE_CHECKING:
    from .builder import Derivation


class Common(NamedTuple):
    """What every kind's body carries, derived once by the common path."""

    envelope: dict[str, Any]  # display_name ... external_event_source_id, as the models name them
    state: str
    pipeline_id: str
    pipeline_url: str
    pipeline_name: str
    started_at: str
    completed_at: str | None


class Facts(Protocol):
    """A kind's own derived values, and how they read to a person and to later steps."""

    @property
    def own_state(self) -> str | None:
        """The kind's own state (an incident's OPEN, a flag's on); None where the state is the
        job's (deployments and builds), "" for kinds without a state (push, custom)."""
        ...

    @property
    def payload_sequence(self) -> int | None:
        """An update sequence number the run's payload dictates (an issue's time of change),
        so that runs that finish out of order still leave the latest update in Compass."""
        ...

    @property
    def link(self) -> str | None:
        """Where the event can be seen, when the kind knows better than the run (an issue)."""
        ...

    def ledger_key_parts(self) -> list[object]:
        """What besides the component and pipeline tells this event apart in the job ledger."""
        ...

    def log_lines(self) -> list[str]: ...

    def log_keys(self) -> list[str]:
        """``name=value`` for the keys this kind adds, in the order Compass's key has them."""
        ...

    def outputs(self) -> dict[str, str]:
        """Values of the kind's own outputs; every other output stays empty."""
        ...

    def summary_rows(self) -> list[tuple[str, str]]:
        """Rows about the event, shown after the component (label, Markdown value)."""
        ...

    def summary_key_rows(self) -> list[tuple[str, str]]:
        """Rows of the kind's keys, shown after the pipeline ID (label, Markdown value)."""
        ...


class JobFacts:
    """What the kinds about the job (deployments, builds) share: the state is the job's, the
    GitHub deployment's or the input's, the numbering the clock's, the link the run's."""

    @property
    def own_state(self) -> str | None:
        return None

    @property
    def payload_sequence(self) -> int | None:
        return None

    @property
    def link(self) -> str | None:
        return None


class EventKind(Protocol):
    event_type: EventType
    has_pipeline: bool  # deployments and builds; the other kinds are keyed by an id of their own

    def pipeline_id(self, derivation: Derivation) -> str | None:
        """The pipeline ID the run gives this kind, before any input overrides it."""
        ...

    def derive(self, derivation: Derivation) -> Facts | None:
        """The kind's facts; None after adding to ``derivation.problems`` what must be given."""
        ...

    def started_at(self, derivation: Derivation) -> datetime | None:
        """When the work started, if the run knows it better than the job ledger."""
        ...

    def display_name(self, derivation: Derivation, facts: Facts) -> str: ...

    def description_head(self, derivation: Derivation, facts: Facts) -> str:
        """The first part of the default description: what happened, to what."""
        ...

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput: ...


# Each kind's module and the name of its kind there: a run imports the one kind it sends.
_KINDS: dict[EventType, tuple[str, str]] = {
    EventType.DEPLOYMENT: (".deployment", "DEPLOYMENT"),
    EventType.BUILD: (".build", "BUILD"),
    EventType.PUSH: (".push", "PUSH"),
    EventType.CUSTOM: (".custom", "CUSTOM"),
    EventType.LIFECYCLE: (".lifecycle", "LIFECYCLE"),
    EventType.FLAG: (".flag", "FLAG"),
    EventType.ALERT: (".alert", "ALERT"),
    EventType.INCIDENT: (".incident", "INCIDENT"),
    EventType.VULNERABILITY: (".vulnerability", "VULNERABILITY"),
}


def kind_of(event_type: EventType) -> EventKind:
    module, name = _KINDS[event_type]
    kind: EventKind = getattr(import_module(module, __package__), name)
    return kind
