"""Lifecycle events: the component entered a stage (pre-release, production, deprecation, end
of life). The stage is the ``state`` input; the id names the lifecycle and must be given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .contract import (
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    LifecycleStage,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, facts_of, given_id, state_of
from .kind import Common, Facts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class LifecycleProperties(ContractModel):
    id: NonEmpty
    stage: LifecycleStage


class LifecycleEvent(EventCommon):
    lifecycle_properties: LifecycleProperties


class LifecycleInput(EventInput):
    lifecycle: LifecycleEvent


class Lifecycle(KeyedKind):
    event_type = EventType.LIFECYCLE

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        event_id = given_id(derivation, "a name for the component's lifecycle, e.g. shop-api")
        stage = state_of(derivation)
        if event_id is None or stage is None:
            return None
        return KeyedFacts(self.event_type.value, event_id, stage)

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        keyed = facts_of(facts)
        stage = (keyed.own_state or "").replace("_", " ").lower()
        return f"Lifecycle of {keyed.event_id}: {stage}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        return LifecycleInput(
            lifecycle=LifecycleEvent(
                **common.envelope,
                lifecycle_properties=LifecycleProperties(
                    id=keyed.event_id, stage=LifecycleStage(common.state)
                ),
            )
        )


LIFECYCLE = Lifecycle()
