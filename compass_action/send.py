"""Send one built event for one component: deliver, set up its event source if Compass asks for
one, resend once, and verify if asked.

``send_event`` holds no state of its own: the clients, the run's deadline and the reporter come
in as arguments, so several components can be sent to at once (each call its own event), with
the one pacer per account that ``delivery.pacer_for`` shares between every client.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from .clients.delivery import Delivery, DeliveryResult, Outcome, pacer_for
from .clients.graphql import GraphQLClient, GraphQLError
from .clients.http import Clock
from .events.builder import BuiltEvent
from .inputs import ActionInputs, SetupEventSource
from .limits import Deadline
from .report.reporter import Reporter
from .setup import missing_event_source, set_up_event_source
from .verify import Verification, verify


@dataclass
class Clients:
    """The run's two clients of Compass and the one deadline of the ``timeout`` input."""

    delivery: Delivery
    graphql: GraphQLClient
    deadline: Deadline
    clock: Clock
    site_host: str

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
        graphql = GraphQLClient(
            inputs.graphql_url, inputs.user_email, token, reporter.info, clock=clock, pacer=pacer
        )
        stack.enter_context(delivery)
        stack.enter_context(graphql)
        host = urlsplit(inputs.events_url).hostname or ""
        return cls(delivery, graphql, deadline, clock, host)


@dataclass(frozen=True)
class SendOptions:
    setup_event_source: SetupEventSource = "auto"
    verify: bool = False


@dataclass(frozen=True)
class SendResult:
    delivery: DeliveryResult
    setup_error: GraphQLError | None = None  # setting up the event source failed
    verification: Verification | None = None  # None: not asked for, or not accepted


def send_event(
    event: BuiltEvent, clients: Clients, options: SendOptions, reporter: Reporter
) -> SendResult:
    body = event.json_text.encode()
    result = clients.delivery.send(body, clients.deadline)
    if options.setup_event_source == "auto" and missing_event_source(result):
        reporter.info(
            "Compass has no event source for this event on the component (HTTP 404); "
            "setting one up (setup-event-source: auto)"
        )
        try:
            set_up_event_source(event, clients.graphql, clients.deadline, reporter)
        except GraphQLError as exc:
            return SendResult(result, setup_error=exc)
        reporter.info("Sending the event again, once")
        result = clients.delivery.send(body, clients.deadline)
    verification = None
    if options.verify and result.outcome is Outcome.ACCEPTED:
        verification = verify(event, clients.graphql, clients.deadline, clients.clock, reporter)
    return SendResult(result, verification=verification)
