"""Custom events: a checkpoint in the component's feed (a migration applied, a cache flushed).

The display name is the event, so it must be given. The id is one per job attempt by default,
so a re-run adds a new entry rather than replacing the first run's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..problems import Problem
from . import identity
from .contract import (
    ContractModel,
    CustomIcon,
    EventCommon,
    EventInput,
    EventType,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, facts_of
from .kind import Common, Facts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class CustomProperties(ContractModel):
    id: NonEmpty
    icon: CustomIcon


class CustomEvent(EventCommon):
    custom_event_properties: CustomProperties


class CustomInput(EventInput):
    custom: CustomEvent


class Custom(KeyedKind):
    event_type = EventType.CUSTOM
    uses = frozenset({"icon"})

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        inputs = derivation.inputs
        if inputs.display_name is None:
            derivation.problems.append(
                Problem(
                    "display-name",
                    "is required for a custom event: what happened, as the feed shows it, "
                    "e.g. Database migration 42 applied",
                )
            )
        event_id = derivation.need(
            inputs.event_id
            or identity.pipeline_id(derivation.run, inputs.check_run_id, deployment=False),
            "event-id",
            "GITHUB_REPOSITORY, GITHUB_RUN_ID or GITHUB_JOB is not set",
        )
        if event_id is None or inputs.display_name is None:
            return None
        icon = inputs.icon or CustomIcon.INFO
        return KeyedFacts(self.event_type.value, event_id, "", notes=[("Icon", icon.value)])

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        # Never used: a custom event's display-name is required.
        return derivation.inputs.display_name or "Custom event"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        return CustomInput(
            custom=CustomEvent(
                **common.envelope,
                custom_event_properties=CustomProperties(
                    id=keyed.event_id, icon=CustomIcon(dict(keyed.notes)["Icon"])
                ),
            )
        )


CUSTOM = Custom()
