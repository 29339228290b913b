"""Send one built event for one component: deliver, set up its event source if Compass asks for
one, resend once, and verify if asked.

``send_event`` holds no state of its own: the clients, the run's deadline and the reporter come
in as arguments, so several components can be sent to at once (each call its own event), with
the one pacer per account that ``delivery.pacer_for`` shares between every client.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from .clients.delivery import Delivery, DeliveryResult, Outcome, pacer_for
from .clients.http import Clock
from .inputs import ActionInputs, SetupEventSource
from .limits import Deadline
from .report.reporter import Reporter

# The GraphQL client, the event source's set-up and verify are imported where they are used:
# a plain send, accepted at once, needs none of them.
if TYPE_CHECKING:
    from .clients.graphql import GraphQLClient, GraphQLError
    from .events.builder import BuiltEvent
    from .verify import Verification


@dataclass
class Clients:
    """The run's two clients of Compass and the one deadline of the ``timeout`` input.

    The GraphQL client is opened when first asked for (a slug, a set-up, verify, preflight): a
    plain send makes no GraphQL request, and opening a client costs its TLS set-up.
    """

    delivery: Delivery
    deadline: Deadline
    clock: Clock
    site_host: str
    open_graphql: Callable[[], GraphQLClient]
    _graphql: GraphQLClient | None = None
    # Several components' sends may ask for it at once (the fan-out's threads): one is opened.
    _opening: threading.Lock = field(default_factory=threading.Lock)

    @property
    def graphql(self) -> GraphQLClient:
        with self._opening:
            if self._graphql is None:
                self._graphql = self.open_graphql()
            return self._graphql

    @property
    def graphql_calls(self) -> int:
        """GraphQL requests made so far: none when the client was never opened."""
        with self._opening:
            return 0 if self._graphql is None else self._graphql.calls

    @classmethod
    def open(
        cls,
        inputs: ActionInputs,
        reporter: Reporter,
        clock: Clock,
        deadline: Deadline,
        stack: contextlib.ExitStack,
    ) -> Clients:
        """The clients of the run, under its one ``deadline`` (from the first request on)."""
        assert inputs.user_email is not None and inputs.api_token is not None
        token = inputs.api_token.get_secret_value()
        pacer = pacer_for(inputs.user_email, clock)
        delivery = Delivery(
            inputs.events_url,
            inputs.user_email,
            token,
            inputs.budget,
            reporter.info,
            clock=clock,
            pacer=pacer,
        )
        stack.enter_context(delivery)
        user = inputs.user_email

        def open_graphql() -> GraphQLClient:
            from .clients.graphql import GraphQLClient

            client = GraphQLClient(
                inputs.graphql_url, user, token, reporter.info, clock=clock, pacer=pacer
            )
            return stack.enter_context(client)

        host = urlsplit(inputs.events_url).hostname or ""
        return cls(delivery, deadline, clock, host, open_graphql)


class SendOptions(NamedTuple):
    setup_event_source: SetupEventSource = "auto"
    verify: bool = False


class SendResult(NamedTuple):
    delivery: DeliveryResult
    setup_error: GraphQLError | None = None  # setting up the event source failed
    verification: Verification | None = None  # None: not asked for, or not accepted


def send_event(
    event: BuiltEvent, clients: Clients, options: SendOptions, reporter: Reporter
) -> SendResult:
    body = event.json_text.encode()
    result = clients.delivery.send(body, clients.deadline)
    if options.setup_event_source == "auto" and result.outcome is not Outcome.ACCEPTED:
        return _set_up_and_resend(event, clients, options, reporter, result)
    return _verified(event, clients, options, reporter, result)


def _set_up_and_resend(
    event: BuiltEvent,
    clients: Clients,
    options: SendOptions,
    reporter: Reporter,
    result: DeliveryResult,
) -> SendResult:
    """A refused send: when it is for want of an event source, set one up and send again."""
    from .clients.graphql import GraphQLError
    from .setup import missing_event_source, set_up_event_source

    if missing_event_source(result):
        reporter.info(
            "Compass has no event source for this event on the component (HTTP 404); "
            "setting one up (setup-event-source: auto)"
        )
        try:
            set_up_event_source(event, clients.graphql, clients.deadline, reporter)
        except GraphQLError as exc:
            return SendResult(result, setup_error=exc)
        reporter.info("Sending the event again, once")
        result = clients.delivery.send(event.json_text.encode(), clients.deadline)
    return _verified(event, clients, options, reporter, result)


def _verified(
    event: BuiltEvent,
    clients: Clients,
    options: SendOptions,
    reporter: Reporter,
    result: DeliveryResult,
) -> SendResult:
    """The send's result, with what verify found when it is asked for and the event accepted."""
    verification = None
    if options.verify and result.outcome is Outcome.ACCEPTED:
        from .verify import verify

        verification = verify(event, clients.graphql, clients.deadline, clients.clock, reporter)
    return SendResult(result, verification=verification)
