"""Pydantic models of the Compass events contract (``POST /compass/v1/events``).

They mirror ``CreateStreamlinedEventRequest`` and the event DTOs of Atlassian's published
OpenAPI document. What every kind shares is here: the request, the event's common fields, the
enumerations; each kind's own models are in its module (deployment.py, build.py, ...), so that
a run defines and builds the models of the kind it sends only. The tests validate every body
these models produce against that document, so a drift between the two fails CI rather than
reaching Compass.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

# Compass types these numbers as int64; we also stay below 2**53 so that every consumer that
# parses JSON numbers as doubles (JavaScript among them) reads the exact value back.
MAX_SAFE_INTEGER = 2**53 - 1
SafeInt = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
NonEmpty = Annotated[str, Field(min_length=1)]


class EventType(StrEnum):
    """The ``event-type`` input; each value is also the key of its kind in the request body."""

    DEPLOYMENT = "deployment"
    BUILD = "build"
    PUSH = "push"
    CUSTOM = "custom"
    LIFECYCLE = "lifecycle"
    FLAG = "flag"
    ALERT = "alert"
    INCIDENT = "incident"
    VULNERABILITY = "vulnerability"

    @property
    def a(self) -> str:
        """The kind with its article, as messages name it: "a flag", "an incident"."""
        return ("an " if self.value[0] in "aeiou" else "a ") + self.value


class DeploymentState(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    ROLLED_BACK = "ROLLED_BACK"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


class BuildState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"
    TIMED_OUT = "TIMED_OUT"
    UNKNOWN = "UNKNOWN"


class IncidentState(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    DELETED = "DELETED"


class VulnerabilityState(StrEnum):
    OPEN = "OPEN"
    REMEDIATED = "REMEDIATED"
    DECLINED = "DECLINED"


class AlertStatus(StrEnum):
    OPENED = "OPENED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    SNOOZED = "SNOOZED"
    CLOSED = "CLOSED"


class FlagStatus(StrEnum):
    """The flag statuses Compass's feed recognises (it takes any text, shown as "unknown")."""

    ON = "on"
    OFF = "off"
    CREATED = "created"
    ARCHIVED = "archived"


class LifecycleStage(StrEnum):
    PRE_RELEASE = "PRE_RELEASE"
    PRODUCTION = "PRODUCTION"
    DEPRECATION = "DEPRECATION"
    END_OF_LIFE = "END_OF_LIFE"


class IncidentLevel(StrEnum):
    ONE = "ONE"
    TWO = "TWO"
    THREE = "THREE"
    FOUR = "FOUR"
    FIVE = "FIVE"


class VulnerabilityLevel(StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class AlertPriority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


class CustomIcon(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CHECKPOINT = "CHECKPOINT"


class EnvironmentCategory(StrEnum):
    PRODUCTION = "PRODUCTION"
    STAGING = "STAGING"
    TESTING = "TESTING"
    DEVELOPMENT = "DEVELOPMENT"
    UNMAPPED = "UNMAPPED"


class ContractModel(BaseModel):
    """Camel-case JSON names, no unknown fields, immutable once built.

    A model's validator is built when the model is first used, not as it is defined, so that
    a run that builds no request (a dry run's problems, a post step with nothing to send)
    pays for none.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        defer_build=True,
    )


class EventCommon(ContractModel):
    display_name: NonEmpty
    description: str
    url: NonEmpty
    last_updated: NonEmpty
    update_sequence_number: SafeInt
    external_event_source_id: NonEmpty


class EventInput(ContractModel):
    """``CompassEventInputDto``: Compass accepts exactly one event kind per request.

    Each kind has its own subclass in its module (``DeploymentInput`` in deployment.py, ...),
    with its kind's key as its one field: a request's model names only the kind it carries, so
    a run builds the models of that kind alone (unknown keys, another kind's among them, are
    refused as everywhere here).
    ``pullRequest`` is left out on purpose: Compass takes it only from Forge apps and does not
    show it in the activity feed.
    """

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> EventInput:
        kinds = [kind for kind in EventType if getattr(self, kind.value, None) is not None]
        if len(kinds) != 1:
            raise ValueError("an event must carry exactly one event kind")
        return self


class CreateEventRequest(ContractModel):
    """``CreateStreamlinedEventRequest``: the body of ``POST /compass/v1/events``."""

    cloud_id: NonEmpty
    component_id: NonEmpty
    # Any kind's subclass: written out with its own fields (the base has none) by
    # serialize_as_any below, which costs no import of pydantic's serializer markers.
    event: EventInput

    def to_json_dict(self) -> dict[str, object]:
        # None fields are left out rather than sent as null: the contract makes them optional.
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, serialize_as_any=True)
