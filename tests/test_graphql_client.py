"""The GraphQL client: each shape GraphQL fails in becomes one GraphQLError that says what to fix.

Against the stand-in's GraphQL endpoint (tools/standin_graphql.py), which executes the documents
for real, so the operations' documents are checked against the schema written from the notes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from compass_action import text
from compass_action.clients import compass_graphql as ops
from compass_action.clients.graphql import GraphQLClient, GraphQLError, Trouble
from compass_action.clients.http import Pacer
from compass_action.limits import Deadline
from tools.action_runner import SkippedWaits
from tools.compass_standin import Standin
from tools.standin_graphql import GRAPHQL_PATH, Failure

from .conftest import CLOUD_ID, COMPONENT, EMAIL, TOKEN

BASIC = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
ECHO = f"{TOKEN} Authorization: Basic {BASIC}"


@pytest.fixture
def waits() -> SkippedWaits:
    return SkippedWaits()


@pytest.fixture
def server() -> Iterator[Standin]:
    with Standin(EMAIL, TOKEN) as standin:
        yield standin


@pytest.fixture
def client(server: Standin, waits: SkippedWaits) -> Iterator[GraphQLClient]:
    text.SECRETS.add_credentials(EMAIL, TOKEN)  # as main registers them before anything runs
    clock = waits.clock()
    pacer = Pacer(100, 60.0, clock.monotonic, clock.sleep)
    url = server.base_url + GRAPHQL_PATH
    with GraphQLClient(url, EMAIL, TOKEN, lambda _: None, clock=clock, pacer=pacer) as made:
        yield made


def deadline(waits: SkippedWaits, seconds: float = 30.0) -> Deadline:
    return Deadline(seconds, waits.monotonic)


def failing(server: Standin, client: GraphQLClient, waits: SkippedWaits) -> GraphQLError:
    with pytest.raises(GraphQLError) as caught:
        ops.find_event_source(client, CLOUD_ID, "BUILD", "github.com:repository:1", deadline(waits))
    return caught.value


def test_every_operation_runs_against_the_schema(
    client: GraphQLClient, server: Standin, waits: SkippedWaits
) -> None:
    limit = deadline(waits)
    assert ops.cloud_id_for_host(client, "127.0.0.1", limit) == CLOUD_ID
    assert ops.token_owner(client, limit) == ops.Owner("5b10ac8d82e05b22cc7d4ef5", "Deploy Bot")
    found = ops.components_by_slugs(client, CLOUD_ID, ["nope", "shop-api"], limit)
    assert found[0] is None and found[1] is not None and found[1].ari == COMPONENT
    assert ops.find_event_source(client, CLOUD_ID, "BUILD", "src", limit) is None
    source = ops.create_event_source(client, CLOUD_ID, "BUILD", "src", limit)
    ops.attach_event_source(client, source, COMPONENT, limit)
    details = ops.component_details(client, COMPONENT, limit)
    assert details.component.name == "Shop API" and details.sources == (source,)
    assert ops.find_event_source(client, CLOUD_ID, "BUILD", "src", limit) == source
    assert ops.source_events(client, CLOUD_ID, "BUILD", "src", limit) == []
    assert client.calls == len(server.state.graphql.calls) == 9


FORMS: dict[str, tuple[Failure, Trouble, str]] = {
    "HTTP 401": (
        Failure("compassActionEventSource", "http", 401, ECHO),
        Trouble.REFUSED,
        "credentials were not accepted (HTTP 401)",
    ),
    "HTTP 403": (
        Failure("compassActionEventSource", "http", 403, ECHO),
        Trouble.REFUSED,
        "may not do this (HTTP 403)",
    ),
    "top-level errors": (
        Failure("compassActionEventSource", "errors", 400, message=f"Field bad {ECHO}"),
        Trouble.REFUSED,
        "Compass said: Field bad",
    ),
    "QueryError": (
        Failure("eventSource", "query_error", 403, error_type="PERMISSION_DENIED", message=ECHO),
        Trouble.REFUSED,
        "(PERMISSION_DENIED, 403)",
    ),
    "HTML page": (
        Failure("compassActionEventSource", "html"),
        Trouble.REFUSED,
        "an HTML page titled 'Gateway error'",
    ),
    "not JSON": (
        Failure("compassActionEventSource", "not_json"),
        Trouble.REFUSED,
        "a body that is not JSON",
    ),
    "too large": (
        Failure("compassActionEventSource", "oversized"),
        Trouble.REFUSED,
        "larger than 64 KiB",
    ),
}


@pytest.mark.parametrize(("failure", "trouble", "says"), FORMS.values(), ids=FORMS.keys())
def test_each_failure_form_is_one_error_without_a_secret(
    client: GraphQLClient,
    server: Standin,
    waits: SkippedWaits,
    failure: Failure,
    trouble: Trouble,
    says: str,
) -> None:
    server.state.graphql.failures.append(failure)
    error = failing(server, client, waits)

    assert error.trouble is trouble
    assert says in str(error)
    assert str(error).startswith("Could not look up the BUILD event source")
    for secret in (TOKEN, BASIC, base64.b64encode(TOKEN.encode()).decode()):
        assert secret not in str(error)


def test_success_false_carries_the_error_type_and_status(
    client: GraphQLClient, server: Standin, waits: SkippedWaits
) -> None:
    server.state.graphql.failures.append(
        Failure("createEventSource", "success_false", 409, error_type="EVENT_SOURCE_EXISTS")
    )
    with pytest.raises(GraphQLError) as caught:
        ops.create_event_source(client, CLOUD_ID, "BUILD", "src", deadline(waits))
    assert caught.value.error_type == "EVENT_SOURCE_EXISTS"
    assert "(EVENT_SOURCE_EXISTS, 409)" in str(caught.value)
    assert server.state.graphql.sources == {}


def test_a_query_error_with_404_means_not_found(
    client: GraphQLClient, server: Standin, waits: SkippedWaits
) -> None:
    server.state.graphql.failures.append(Failure("component", "query_error", 404))
    with pytest.raises(GraphQLError) as caught:
        ops.component_details(client, COMPONENT, deadline(waits))
    assert caught.value.trouble is Trouble.NOT_FOUND


def test_overload_is_retried_within_the_deadline_then_unavailable(
    client: GraphQLClient, server: Standin, waits: SkippedWaits
) -> None:
    server.state.graphql.failures += [Failure("compassActionEventSource", "http", 503)] * 2
    assert ops.find_event_source(client, CLOUD_ID, "BUILD", "x", deadline(waits)) is None
    assert len(waits.slept) == 2  # two waits, three attempts

    server.state.graphql.failures += [Failure("compassActionEventSource", "http", 503)] * 50
    error = failing(server, client, waits)
    assert error.trouble is Trouble.UNAVAILABLE
    assert "no more retries within the timeout of 30 s" in str(error)


def test_graphql_calls_share_the_pace_of_the_events(server: Standin, waits: SkippedWaits) -> None:
    clock = waits.clock()
    pacer = Pacer(2, 60.0, clock.monotonic, clock.sleep)  # the events' pacer, 2 a minute
    pacer.wait_turn()  # one event sent
    url = server.base_url + GRAPHQL_PATH
    with GraphQLClient(url, EMAIL, TOKEN, lambda _: None, clock=clock, pacer=pacer) as client:
        ops.token_owner(client, deadline(waits, 300))
        ops.token_owner(client, deadline(waits, 300))
    assert waits.slept == [pytest.approx(60.0, abs=1.0)]  # the third request of the minute


WRONG_SHAPES = [
    '{"data": {"compass": null}}',
    '{"data": {"compass": []}}',
    '{"data": {"compass": {"eventSource": "x"}}}',
    '{"data": {"compass": {"eventSource": {"__typename": "EventSource", "events": 7}}}}',
    '{"data": {"compass": {"eventSource": {"__typename": "EventSource", "events": '
    '{"__typename": "CompassEventConnection", "nodes": [1, "a", {"updateSequenceNumber": "x", '
    '"buildProperties": "y", "deploymentProperties": {"pipeline": 3}}]}}}}}',
    # An updateSequenceNumber of 5,000 digits, as a string and as a number: past int()'s limit.
    '{"data": {"compass": {"eventSource": {"__typename": "EventSource", "events": '
    '{"__typename": "CompassEventConnection", "nodes": [{"updateSequenceNumber": "'
    + "9" * 5000
    + '"}]}}}}}',
    '{"data": {"compass": {"eventSource": {"__typename": "EventSource", "events": '
    '{"__typename": "CompassEventConnection", "nodes": [{"updateSequenceNumber": '
    + "9" * 5000
    + "}]}}}}}",
    '{"data": {"tenantContexts": [7]}}',
    '{"data": {"me": {"user": []}}}',
    '{"data": null}',
    "[]",
]


@pytest.mark.parametrize("body", WRONG_SHAPES)
def test_an_answer_of_the_wrong_shape_is_an_error_or_nothing_never_a_crash(
    client: GraphQLClient, server: Standin, waits: SkippedWaits, body: str
) -> None:
    limit = deadline(waits)
    calls: list[Callable[[], object]] = [
        lambda: ops.source_events(client, CLOUD_ID, "BUILD", "src", limit),
        lambda: ops.component_details(client, COMPONENT, limit),
        lambda: ops.cloud_id_for_host(client, "127.0.0.1", limit),
        lambda: ops.token_owner(client, limit),
        lambda: ops.components_by_slugs(client, CLOUD_ID, ["shop-api"], limit),
        lambda: ops.create_event_source(client, CLOUD_ID, "BUILD", "src", limit),
    ]
    for call in calls:
        server.state.graphql.failures.append(Failure("compassAction", "http", 200, body))
        try:
            call()
        except GraphQLError as exc:
            assert str(exc).startswith("Could not ")
        assert server.state.graphql.failures == []  # the wrong shape was the answer


def test_the_call_count_is_exact_when_threads_share_the_client(
    server: Standin, client: GraphQLClient, waits: SkippedWaits
) -> None:
    # The fan-out sends several components' events from threads that share this client.
    def look(_: int) -> None:
        ops.token_owner(client, deadline(waits))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(look, range(48)))
    assert client.calls == 48 == len(server.state.graphql.calls)
