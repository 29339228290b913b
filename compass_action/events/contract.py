"""Pydantic models of the Compass events contract (``POST /compass/v1/events``).

They mirror ``CreateStreamlinedEventRequest`` and the deployment and build DTOs of Atlassian's
published OpenAPI document. The tests validate every body these models produce against that
document, so a drift between the two fails CI rather than reaching Compass.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_validator
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


class _Dto(BaseModel):
    """Camel-case JSON names, no unknown fields, immutable once built.

    A model's validator is built when the model is first used, not as it is defined: a run
    sends one kind, and building every kind's at import was some 13 ms of each run's start.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        defer_build=True,
    )


class DeploymentPipeline(_Dto):
    pipeline_id: NonEmpty
    url: NonEmpty
    display_name: NonEmpty


class DeploymentEnvironment(_Dto):
    category: EnvironmentCategory
    display_name: NonEmpty
    environment_id: NonEmpty


class DeploymentProperties(_Dto):
    sequence_number: SafeInt
    state: DeploymentState
    pipeline: DeploymentPipeline
    environment: DeploymentEnvironment
    started_at: str | None = None
    completed_at: str | None = None


class BuildPipeline(_Dto):
    pipeline_id: NonEmpty
    url: str | None = None
    display_name: str | None = None


class BuildProperties(_Dto):
    state: BuildState
    pipeline: BuildPipeline
    started_at: NonEmpty
    completed_at: str | None = None


class PushAuthor(_Dto):
    name: str | None = None
    email: str | None = None


class PushProperties(_Dto):
    id: NonEmpty
    branch_name: NonEmpty
    author: PushAuthor | None = None


class CustomProperties(_Dto):
    id: NonEmpty
    icon: CustomIcon


class LifecycleProperties(_Dto):
    id: NonEmpty
    stage: LifecycleStage


class FlagProperties(_Dto):
    id: NonEmpty
    status: FlagStatus | None = None


class AlertProperties(_Dto):
    id: NonEmpty
    status: AlertStatus | None = None
    priority: AlertPriority | None = None
    created_at: str | None = None
    acknowledged_at: str | None = None
    snoozed_at: str | None = None
    closed_at: str | None = None


class IncidentSeverity(_Dto):
    label: str | None = None
    level: IncidentLevel | None = None


class IncidentProperties(_Dto):
    id: NonEmpty
    state: IncidentState
    start_time: NonEmpty
    end_time: str | None = None
    severity: IncidentSeverity | None = None


class VulnerabilitySeverity(_Dto):
    label: str | None = None
    level: VulnerabilityLevel


class VulnerabilityProperties(_Dto):
    id: NonEmpty
    state: VulnerabilityState
    severity: VulnerabilitySeverity
    vulnerability_start_time: NonEmpty
    # CVSS scores run from 0 to 10.
    score: Annotated[float, Field(ge=0, le=10)] | None = None
    discovery_source: str | None = None
    vulnerable_target: str | None = None
    remediation_time: str | None = None


class _EventCommon(_Dto):
    display_name: NonEmpty
    description: str
    url: NonEmpty
    last_updated: NonEmpty
    update_sequence_number: SafeInt
    external_event_source_id: NonEmpty


class DeploymentEvent(_EventCommon):
    deployment_properties: DeploymentProperties


class BuildEvent(_EventCommon):
    build_properties: BuildProperties


class PushEvent(_EventCommon):
    push_event_properties: PushProperties


class CustomEvent(_EventCommon):
    custom_event_properties: CustomProperties


class LifecycleEvent(_EventCommon):
    lifecycle_properties: LifecycleProperties


class FlagEvent(_EventCommon):
    flag_properties: FlagProperties


class AlertEvent(_EventCommon):
    alert_properties: AlertProperties


class IncidentEvent(_EventCommon):
    incident_properties: IncidentProperties


class VulnerabilityEvent(_EventCommon):
    vulnerability_properties: VulnerabilityProperties


class EventInput(_Dto):
    """``CompassEventInputDto``: Compass accepts exactly one event kind per request.

    Each kind has its own subclass below, with its kind's key as its one field: the model of a
    request names only the kind it carries, so a run builds the models of that kind alone
    (unknown keys, another kind's among them, are refused as everywhere here).
    ``pullRequest`` is left out on purpose: Compass takes it only from Forge apps and does not
    show it in the activity feed.
    """

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> EventInput:
        kinds = [kind for kind in EventType if getattr(self, kind.value, None) is not None]
        if len(kinds) != 1:
            raise ValueError("an event must carry exactly one event kind")
        return self


class DeploymentInput(EventInput):
    deployment: DeploymentEvent


class BuildInput(EventInput):
    build: BuildEvent


class PushInput(EventInput):
    push: PushEvent


class CustomInput(EventInput):
    custom: CustomEvent


class LifecycleInput(EventInput):
    lifecycle: LifecycleEvent


class FlagInput(EventInput):
    flag: FlagEvent


class AlertInput(EventInput):
    alert: AlertEvent


class IncidentInput(EventInput):
    incident: IncidentEvent


class VulnerabilityInput(EventInput):
    vulnerability: VulnerabilityEvent


class CreateEventRequest(_Dto):
    """``CreateStreamlinedEventRequest``: the body of ``POST /compass/v1/events``."""

    cloud_id: NonEmpty
    component_id: NonEmpty
    # Any kind's subclass, written out with its own fields (the base has none).
    event: SerializeAsAny[EventInput]

    def to_json_dict(self) -> dict[str, object]:
        # None fields are left out rather than sent as null: the contract makes them optional.
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
