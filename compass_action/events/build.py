"""Build events: one per job attempt (its pipeline ID is the key), named for where the code
comes from: a branch, a tag, a pull request or a merge queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from . import identity
from .contract import (
    BuildState,
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    NonEmpty,
)
from .kind import Common, Facts, JobFacts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class BuildPipeline(ContractModel):
    pipeline_id: NonEmpty
    url: str | None = None
    display_name: str | None = None


class BuildProperties(ContractModel):
    state: BuildState
    pipeline: BuildPipeline
    started_at: NonEmpty
    completed_at: str | None = None


class BuildEvent(EventCommon):
    build_properties: BuildProperties


class BuildInput(EventInput):
    build: BuildEvent


# Inputs that only deployments use: a build that is given one says it ignores it.
_DEPLOYMENT_ONLY = ("environment-category", "environment-id", "sequence-number")


@dataclass(frozen=True)
class BuildFacts(JobFacts):
    """A build adds no key of its own: its pipeline ID is the whole key."""

    def ledger_key_parts(self) -> list[object]:
        return [None, None]

    def log_lines(self) -> list[str]:
        return []

    def log_keys(self) -> list[str]:
        return []

    def outputs(self) -> dict[str, str]:
        return {}

    def summary_rows(self) -> list[tuple[str, str]]:
        return []

    def summary_key_rows(self) -> list[tuple[str, str]]:
        return []


class Build:
    event_type = EventType.BUILD
    has_pipeline = True

    def pipeline_id(self, derivation: Derivation) -> str | None:
        return identity.pipeline_id(
            derivation.run, derivation.inputs.check_run_id, deployment=False
        )

    def derive(self, derivation: Derivation) -> BuildFacts:
        inputs = derivation.inputs
        given = (inputs.environment_category, inputs.environment_id, inputs.sequence_number)
        for name, value in zip(_DEPLOYMENT_ONLY, given, strict=True):
            if value is not None:
                derivation.warnings.append(
                    f"{name} applies to deployments only; a build event ignores it"
                )
        return BuildFacts()

    def started_at(self, derivation: Derivation) -> datetime | None:
        return None

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        number = f" #{derivation.run.run_number}" if derivation.run.run_number is not None else ""
        return f"Build of {derivation.run.ref_label or derivation.revision}{number}"

    def description_head(self, derivation: Derivation, facts: Facts) -> str:
        where = f" ({derivation.run.ref_label})" if derivation.run.ref_label else ""
        return f"Build of {derivation.run.repository or 'the repository'}{where}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        return BuildInput(
            build=BuildEvent(
                **common.envelope,
                build_properties=BuildProperties(
                    state=BuildState(common.state),
                    pipeline=BuildPipeline(
                        pipeline_id=common.pipeline_id,
                        url=common.pipeline_url,
                        display_name=common.pipeline_name,
                    ),
                    started_at=common.started_at,
                    completed_at=common.completed_at,
                ),
            )
        )


BUILD = Build()
