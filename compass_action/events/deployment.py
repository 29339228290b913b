"""Deployment events: where the work went (the environment and its category) and which
deployment it is (pipeline, environment and sequence number, Compass's key for a deployment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..problems import Problem
from ..text import markdown_cell, markdown_code
from . import identity
from .contract import (
    ContractModel,
    DeploymentState,
    EnvironmentCategory,
    EventCommon,
    EventInput,
    EventType,
    NonEmpty,
    SafeInt,
)
from .environments import Environment, environment_id, resolve_environment
from .kind import Common, Facts, JobFacts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class DeploymentPipeline(ContractModel):
    pipeline_id: NonEmpty
    url: NonEmpty
    display_name: NonEmpty


class DeploymentEnvironment(ContractModel):
    category: EnvironmentCategory
    display_name: NonEmpty
    environment_id: NonEmpty


class DeploymentProperties(ContractModel):
    sequence_number: SafeInt
    state: DeploymentState
    pipeline: DeploymentPipeline
    environment: DeploymentEnvironment
    started_at: str | None = None
    completed_at: str | None = None


class DeploymentEvent(EventCommon):
    deployment_properties: DeploymentProperties


class DeploymentInput(EventInput):
    deployment: DeploymentEvent


@dataclass(frozen=True)
class DeploymentFacts(JobFacts):
    environment: Environment
    environment_id: str
    sequence_number: int

    def ledger_key_parts(self) -> list[object]:
        return [self.environment_id, self.sequence_number]

    def log_lines(self) -> list[str]:
        env = self.environment
        return [
            f"Environment {env.name!r} (from {env.source}) is {env.category.value}, "
            f"because of {env.category_reason}"
        ]

    def log_keys(self) -> list[str]:
        return [f"environmentId={self.environment_id}", f"sequenceNumber={self.sequence_number}"]

    def outputs(self) -> dict[str, str]:
        return {
            "environment-id": self.environment_id,
            "environment-category": self.environment.category.value,
            "sequence-number": str(self.sequence_number),
        }

    def summary_rows(self) -> list[tuple[str, str]]:
        env = self.environment
        return [
            (
                "Environment",
                f"{markdown_cell(env.name)} → **{markdown_cell(env.category.value)}** "
                f"(because of {markdown_cell(env.category_reason)})",
            )
        ]

    def summary_key_rows(self) -> list[tuple[str, str]]:
        return [
            ("Environment ID", markdown_code(self.environment_id)),
            ("Sequence number", markdown_code(self.sequence_number)),
        ]


def _facts(facts: Facts) -> DeploymentFacts:
    assert isinstance(facts, DeploymentFacts)
    return facts


class Deployment:
    event_type = EventType.DEPLOYMENT
    has_pipeline = True

    def pipeline_id(self, derivation: Derivation) -> str | None:
        return identity.pipeline_id(derivation.run, derivation.inputs.check_run_id, deployment=True)

    def derive(self, derivation: Derivation) -> DeploymentFacts | None:
        inputs = derivation.inputs
        resolved = resolve_environment(
            inputs.environment, inputs.environment_category, derivation.run, inputs.category_rules
        )
        if isinstance(resolved, Problem):
            derivation.problems.append(resolved)
        elif resolved.warning is not None:
            derivation.warnings.append(resolved.warning)
        sequence = derivation.need(
            inputs.sequence_number
            if inputs.sequence_number is not None
            else identity.sequence_number(derivation.run),
            "sequence-number",
            "GITHUB_RUN_ID is not set or the run attempt is out of range",
        )
        if isinstance(resolved, Problem) or sequence is None:
            return None
        env_id = inputs.environment_id or environment_id(resolved.name)
        return DeploymentFacts(resolved, env_id, sequence)

    def started_at(self, derivation: Derivation) -> datetime | None:
        # A GitHub deployment started when it was created, whichever run reports it.
        deployment = derivation.run.github_deployment
        return deployment.created_at if deployment is not None else None

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        return f"Deploy {derivation.revision} to {_facts(facts).environment.name}"

    def description_head(self, derivation: Derivation, facts: Facts) -> str:
        repository = derivation.run.repository or "the repository"
        return f"Deployment to {_facts(facts).environment.name} of {repository}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        deployment = _facts(facts)
        environment = deployment.environment
        return DeploymentInput(
            deployment=DeploymentEvent(
                **common.envelope,
                deployment_properties=DeploymentProperties(
                    sequence_number=deployment.sequence_number,
                    state=DeploymentState(common.state),
                    pipeline=DeploymentPipeline(
                        pipeline_id=common.pipeline_id,
                        url=common.pipeline_url,
                        display_name=common.pipeline_name,
                    ),
                    environment=DeploymentEnvironment(
                        category=environment.category,
                        display_name=derivation.fit("environment display name", environment.name),
                        environment_id=deployment.environment_id,
                    ),
                    started_at=common.started_at,
                    completed_at=common.completed_at,
                ),
            )
        )


DEPLOYMENT = Deployment()
