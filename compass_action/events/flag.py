"""Feature flag events: a flag was switched on or off, created or archived. The flag's key is
the id and must be given; the status is the ``state`` input (required: a flip says which way)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .contract import (
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    FlagStatus,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, facts_of, given_id, state_of
from .kind import Common, Facts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class FlagProperties(ContractModel):
    id: NonEmpty
    status: FlagStatus | None = None


class FlagEvent(EventCommon):
    flag_properties: FlagProperties


class FlagInput(EventInput):
    flag: FlagEvent


class Flag(KeyedKind):
    event_type = EventType.FLAG

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        event_id = given_id(derivation, "the feature flag's key, e.g. new-checkout")
        status = state_of(derivation)
        if event_id is None or status is None:
            return None
        return KeyedFacts(self.event_type.value, event_id, status)

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        keyed = facts_of(facts)
        return f"Flag {keyed.event_id} {keyed.own_state}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        return FlagInput(
            flag=FlagEvent(
                **common.envelope,
                flag_properties=FlagProperties(id=keyed.event_id, status=FlagStatus(common.state)),
            )
        )


FLAG = Flag()
