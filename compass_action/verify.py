"""Proof that Compass recorded the event, not just accepted it.

Compass answers 202 to any well-formed event and decides later, silently, whether it counts: an
update whose ``updateSequenceNumber`` is not above the one it holds is dropped (notes §0.4, P1,
P13). With ``verify: true`` the action reads the event source's events until ours shows with our
number, or a newer one shows (ours was superseded), or the run's deadline leaves no room.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .clients import compass_graphql as ops
from .clients.graphql import GraphQLClient, GraphQLError
from .clients.http import MIN_ATTEMPT_SECONDS, Clock
from .events.builder import BuiltEvent
from .limits import Deadline
from .report.reporter import Reporter
from .setup import event_source_key

# Compass processes events in seconds; the first look comes after this long, each next one
# after twice as long, at most MAX_POLL_WAIT, so a slow minute costs a handful of requests.
FIRST_POLL_WAIT = 2.0
MAX_POLL_WAIT = 15.0
# A last look this soon after the one before would see nothing new: not taken.
MIN_LAST_GAP = 1.0


class Recorded(Enum):
    RECORDED = "recorded"
    SUPERSEDED = "superseded"  # Compass holds a newer update of the event; ours was dropped
    NOT_SEEN = "not seen in time"


@dataclass(frozen=True)
class Verification:
    outcome: Recorded
    looks: int
    held: ops.StoredEvent | None = None  # what Compass holds, when superseded
    reason: str = ""  # why it was not seen, when a lookup failed

    def describe(self, ours: int) -> str:
        if self.outcome is Recorded.RECORDED:
            return f"Recorded by Compass (updateSequenceNumber {ours})"
        if self.outcome is Recorded.SUPERSEDED and self.held is not None:
            state = f"state {self.held.state}, " if self.held.state else ""  # push: none
            return (
                f"Superseded: Compass holds a newer update of this event ({state}"
                f"updateSequenceNumber {self.held.update_sequence_number} > {ours}), so this "
                "one was dropped"
            )
        detail = f" ({self.reason})" if self.reason else ""
        return f"Not seen in Compass within the timeout after {self.looks} looks{detail}"


def event_keys(event: BuiltEvent) -> tuple[str, ...]:
    """What identifies the event in its source: as ops.StoredEvent.keys."""
    kind, _ = event_source_key(event)
    data = event.body["event"]
    assert isinstance(data, dict)
    item = data[event.event_type.value]
    return ops.stored_keys(kind, item[ops.STORED_SHAPES[kind].properties])


def verify(
    event: BuiltEvent,
    client: GraphQLClient,
    deadline: Deadline,
    clock: Clock,
    reporter: Reporter,
) -> Verification:
    kind, external = event_source_key(event)
    keys, ours = event_keys(event), event.update_sequence_number
    wait, looks = FIRST_POLL_WAIT, 0
    reporter.info("Verifying that Compass recorded the event (verify: true)")
    while True:
        # The last look comes as late as the budget allows, not a whole wait early.
        room = deadline.remaining() - MIN_ATTEMPT_SECONDS
        if room <= 0 or (looks and room < MIN_LAST_GAP):
            return Verification(Recorded.NOT_SEEN, looks)
        last = wait >= room
        clock.sleep(min(wait, room))
        looks += 1
        try:
            held = ops.source_events(client, event.request.cloud_id, kind, external, deadline)
        except GraphQLError as exc:
            return Verification(Recorded.NOT_SEEN, looks, reason=str(exc))
        numbers = [item for item in held if item.keys == keys]
        newest = max(numbers, key=lambda item: item.update_sequence_number, default=None)
        if newest is not None and newest.update_sequence_number == ours:
            return Verification(Recorded.RECORDED, looks)
        if newest is not None and newest.update_sequence_number > ours:
            return Verification(Recorded.SUPERSEDED, looks, held=newest)
        if last:
            return Verification(Recorded.NOT_SEEN, looks)
        wait = min(wait * 2, MAX_POLL_WAIT)
