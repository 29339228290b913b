"""Push events: one per push, keyed by the pushed head commit, on the branch it went to.

In a ``push`` run everything comes from the payload: the head commit (the id), the branch (from
the ref) and the head commit's author. Tag pushes and deletions push no code to a branch and
send nothing (skipping.py). Elsewhere ``event-id`` names the commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..problems import Problem
from .contract import (
    ContractModel,
    EventCommon,
    EventInput,
    EventType,
    NonEmpty,
)
from .keyed import KeyedFacts, KeyedKind, facts_of, given_id
from .kind import Common, Facts

if TYPE_CHECKING:
    from .builder import Derivation


# This kind's models of the Compass events contract: here, so that a run builds the models
# of the kind it sends only (contract.py has what every kind shares).
class PushAuthor(ContractModel):
    name: str | None = None
    email: str | None = None


class PushProperties(ContractModel):
    id: NonEmpty
    branch_name: NonEmpty
    author: PushAuthor | None = None


class PushEvent(EventCommon):
    push_event_properties: PushProperties


class PushInput(EventInput):
    push: PushEvent


class Push(KeyedKind):
    event_type = EventType.PUSH

    def derive_own(self, derivation: Derivation) -> KeyedFacts | None:
        run, inputs = derivation.run, derivation.inputs
        head = run.head_commit
        if inputs.event_id is not None or head is None:
            event_id = given_id(derivation, "the pushed commit's SHA, e.g. ${{ github.sha }}")
        else:
            event_id = head.id
        branch = inputs.given_properties.get("branchName") or run.branch
        if branch is None:
            derivation.problems.append(
                Problem(
                    "properties",
                    "branchName is required outside a branch's run, e.g. {branchName: main}",
                )
            )
        if event_id is None or branch is None:
            return None
        notes = [("Branch", str(branch))]
        if head is not None and head.message:
            notes.append(("Commit", head.message))
        link = head.url if head is not None else None
        return KeyedFacts(self.event_type.value, event_id, "", link=link, notes=notes)

    def display_name(self, derivation: Derivation, facts: Facts) -> str:
        keyed = facts_of(facts)
        head = derivation.run.head_commit
        subject = f": {head.message}" if head is not None and head.message else ""
        return f"Push to {dict(keyed.notes)['Branch']}{subject}"

    def description_head(self, derivation: Derivation, facts: Facts) -> str:
        repository = derivation.run.repository or "the repository"
        return f"Push of {facts_of(facts).event_id[:12]} to {repository}"

    def event(self, derivation: Derivation, common: Common, facts: Facts) -> EventInput:
        keyed = facts_of(facts)
        head = derivation.run.head_commit
        author = (
            PushAuthor(name=head.author_name, email=head.author_email)
            if head is not None and (head.author_name or head.author_email)
            else None
        )
        return PushInput(
            push=PushEvent(
                **common.envelope,
                push_event_properties=PushProperties(
                    id=keyed.event_id, branch_name=dict(keyed.notes)["Branch"], author=author
                ),
            )
        )


PUSH = Push()
