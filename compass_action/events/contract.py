"""Pydantic models of the Compass events contract (``POST /compass/v1/events``).

They mirror ``CreateStreamlinedEventRequest`` and the deployment and build DTOs of Atlassian's
published OpenAPI document. The tests validate every body these models produce against that
document, so a drift between the two fails CI rather than reaching Compass.
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
    DEPLOYMENT = "deployment"
    BUILD = "build"


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


class EnvironmentCategory(StrEnum):
    PRODUCTION = "PRODUCTION"
    STAGING = "STAGING"
    TESTING = "TESTING"
    DEVELOPMENT = "DEVELOPMENT"
    UNMAPPED = "UNMAPPED"


class _Dto(BaseModel):
    """Camel-case JSON names, no unknown fields, immutable once built."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
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


class EventInput(_Dto):
    """``CompassEventInputDto``: Compass accepts exactly one event kind per request."""

    deployment: DeploymentEvent | None = None
    build: BuildEvent | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> EventInput:
        kinds = [kind for kind in (self.deployment, self.build) if kind is not None]
        if len(kinds) != 1:
            raise ValueError("an event must carry exactly one event kind")
        return self


class CreateEventRequest(_Dto):
    """``CreateStreamlinedEventRequest``: the body of ``POST /compass/v1/events``."""

    cloud_id: NonEmpty
    component_id: NonEmpty
    event: EventInput

    def to_json_dict(self) -> dict[str, object]:
        # None fields are left out rather than sent as null: the contract makes them optional.
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
