"""Issues 9, 10 and 13 together: set-up, verify and preflight for every kind and for several
components at once, against the stand-in's GraphQL endpoint (tools/standin_graphql.py), which
executes every document against its schema.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, parse, validate

from compass_action.clients import compass_graphql as ops
from compass_action.events.contract import EventType
from tools.action_runner import Run, StepResult
from tools.compass_standin import EVENTS_PATH, RateLimit, Standin
from tools.standin_graphql import GRAPHQL_PATH, SCHEMA, Failure, FakeComponent

from .conftest import COMPONENT, EMAIL, TOKEN, credentials
from .inprocess import InProcess
from .webhooks import run_for

WORKSPACE = COMPONENT.rsplit("/", 1)[0]
OTHER = f"{WORKSPACE}/2e475014-aaaa-4bbb-8ccc-0123456789ab"
INCIDENT = {
    "event-type": "incident",
    "event-id": "INC-7",
    "state": "open",
    "severity": "sev2",
    "started-at": "2026-11-20T08:00:00Z",
}
PUSH_RUN = "push/with-new-branch.payload.json"


@pytest.fixture
def compass(standin: Standin, in_process: InProcess) -> Standin:
    """The stand-in in the older flow (no event without its attached source), on the run's
    skipping clock, with a second component "billing"."""
    standin.state.graphql.require_source = True
    standin.state.graphql.clock = in_process.waits.monotonic
    standin.state.graphql.components.append(FakeComponent(OTHER, "billing", "Billing"))
    return standin


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def graphql_bodies(server: Standin) -> list[dict[str, object]]:
    bodies = (json.loads(item.body) for item in server.received() if item.body)
    return [body for body in bodies if "query" in body]


def events_posted(server: Standin) -> list[dict[str, Any]]:
    bodies = (json.loads(item.body) for item in server.received() if item.body)
    return [body for body in bodies if "query" not in body]


def create_sources(server: Standin, kind: str) -> None:
    """Create, as a person would, the sources of the events sent so far (not attached: with
    require_source off the stand-in stores events regardless, and only verify reads them)."""
    for body in events_posted(server):
        external = str(body["event"][kind]["externalEventSourceId"])
        server.state.graphql.sources[(external, kind.upper())] = f"source-{external}"


# -- one rule per kind ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EventType))
def test_each_kind_has_an_events_query_the_schema_accepts_with_its_fragment_only(
    kind: EventType,
) -> None:
    event_type = kind.value.upper()
    document = ops.source_events_document(event_type)
    assert validate(SCHEMA, parse(document)) == []
    # Only the kind's own fragment: a type the site lacks breaks verify of that kind alone.
    assert re.findall(r"\.\.\. on (Compass\w*Event)\b", document) == [
        ops.STORED_SHAPES[event_type].typename
    ]
    # The source type sent to createEventSource is the kind, a value of CompassEventType.
    enum = SCHEMA.type_map["CompassEventType"]
    assert isinstance(enum, GraphQLEnumType) and event_type in enum.values


def test_verify_records_an_incident_set_up_on_a_fresh_component(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.processing_delay = 5.0
    with_ = credentials(compass) | INCIDENT | {"verify": "true"}
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, printed(result)
    [(external, kind)] = compass.state.graphql.sources
    assert kind == "INCIDENT"
    assert f"Created the INCIDENT event source {external}" in result.stdout
    [source] = compass.state.graphql.sources.values()
    assert (source, COMPONENT) in compass.state.graphql.attachments
    assert result.outputs["delivered"] == "true" and result.outputs["recorded"] == "true"
    looks = [str(b["query"]) for b in graphql_bodies(compass) if "SourceEvents" in str(b)]
    assert len(looks) == 2  # at 2 s (still being processed), then at 2 + 4 s
    assert all("CompassIncidentEvent" in look and "Deployment" not in look for look in looks)


def test_verify_records_a_push(compass: Standin, in_process: InProcess, workdir: Path) -> None:
    compass.state.graphql.require_source = False
    with_ = credentials(compass) | {"event-type": "push"}
    in_process(run_for(PUSH_RUN), with_, workdir / "first")
    create_sources(compass, "push")

    result = in_process(run_for(PUSH_RUN), with_ | {"verify": "true"}, workdir)

    assert result.exit_code == 0, printed(result)
    assert result.outputs["recorded"] == "true"
    assert "Recorded by Compass" in result.summary
    look = next(str(b["query"]) for b in graphql_bodies(compass) if "SourceEvents" in str(b))
    assert "pushEventProperties { id }" in look and "buildProperties" not in look


def test_verify_sees_a_newer_push_update_without_a_state(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.require_source = False
    with_ = credentials(compass) | {"event-type": "push"}
    first = in_process(run_for(PUSH_RUN), with_, workdir)
    create_sources(compass, "push")
    newer = int(first.outputs["update-sequence-number"])
    older = with_ | {"verify": "true", "update-sequence-number": str(newer - 1)}

    result = in_process(run_for(PUSH_RUN), older, workdir / "older")

    assert result.outputs["recorded"] == "false"
    assert f"event (updateSequenceNumber {newer} > {newer - 1})" in result.stdout


def test_preflight_of_an_incident_checks_its_incident_source(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(compass) | INCIDENT | {"preflight": "true", "setup-event-source": "never"}
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 1
    assert "Problem: INCIDENT event source" in result.stdout
    assert "create an event source of type INCIDENT with this ID" in result.stdout
    assert events_posted(compass) == []


# -- several components with issue 9 --------------------------------------------------------


def test_a_slug_and_an_ari_make_one_lookup_and_two_events(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.require_source = False
    with_ = credentials(compass) | {"component-id": f"billing\n{COMPONENT}"}
    result = in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), with_, workdir)

    assert result.exit_code == 0, printed(result)
    assert compass.state.graphql.calls.count("compassActionComponents") == 1
    assert sorted(str(body["componentId"]) for body in events_posted(compass)) == sorted(
        [OTHER, COMPONENT]
    )
    assert result.outputs["delivered"] == "true"


def test_two_fresh_components_each_get_their_own_source_attached(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(compass) | {"component-id": f"{COMPONENT}\n{OTHER}"}
    result = in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), with_, workdir)

    assert result.exit_code == 0, printed(result)
    graphql = compass.state.graphql
    assert len(graphql.sources) == 2 and {kind for _, kind in graphql.sources} == {"DEPLOYMENT"}
    owners = {component for _, component in graphql.attachments}
    assert owners == {COMPONENT, OTHER} and len(graphql.attachments) == 2
    assert len(compass.events()) == 2 and result.outputs["delivered"] == "true"
    # The count the log gives is every GraphQL request the two threads made.
    assert f"GraphQL requests: {len(graphql.calls)};" in result.stdout


@pytest.mark.parametrize("fail_one", [False, True])
def test_verify_with_two_components_is_recorded_only_when_both_are(
    compass: Standin, in_process: InProcess, workdir: Path, fail_one: bool
) -> None:
    compass.state.graphql.require_source = False
    with_ = credentials(compass) | {"component-id": f"{COMPONENT}\n{OTHER}", "verify": "true"}
    in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), with_, workdir / "first")
    create_sources(compass, "deployment")
    if fail_one:
        compass.state.graphql.failures.append(Failure("events", "query_error", 403))

    result = in_process(Run(ref="refs/tags/v1.2.4", event_name="push"), with_, workdir)

    assert result.outputs["delivered"] == "true", printed(result)
    assert result.outputs["recorded"] == ("false" if fail_one else "true")
    said = [line for line in result.stdout.splitlines() if "Recorded by Compass" in line]
    assert len(said) == (1 if fail_one else 2)


def test_preflight_with_two_components_checks_each(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(compass) | {"component-id": f"shop-api\n{OTHER}", "preflight": "true"}
    result = in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), with_, workdir)

    assert result.exit_code == 0, printed(result)
    assert "OK: Component: Shop API" in result.stdout
    assert "OK: Component: Billing" in result.stdout
    assert result.summary.count("### Compass setup check: ready") == 2
    assert events_posted(compass) == []


# -- the stand-in's rate limit ----------------------------------------------------------------


def test_the_stand_ins_rate_limit_counts_graphql_posts_with_the_events() -> None:
    limit = RateLimit(limit=2, clock=lambda: 0.0)
    query = {"query": "query compassActionTokenOwner { me { user { accountId name } } }"}
    with Standin(EMAIL, TOKEN, rate_limit=limit) as server:
        url = server.base_url
        graphql = [httpx.post(url + GRAPHQL_PATH, json=query, auth=(EMAIL, TOKEN)) for _ in "ab"]
        event = httpx.post(url + EVENTS_PATH, json={}, auth=(EMAIL, TOKEN))

    assert [answer.status_code for answer in graphql] == [200, 200]
    assert event.status_code == 429 and limit.refused == 1
    assert event.headers["Retry-After"] == "60"


def test_an_incident_next_to_a_deployment_source_gets_its_own_incident_source(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), credentials(compass), workdir / "d")

    result = in_process(Run(), credentials(compass) | INCIDENT, workdir)

    assert result.exit_code == 0, printed(result)
    assert sorted(kind for _, kind in compass.state.graphql.sources) == ["DEPLOYMENT", "INCIDENT"]
    assert "an incident event needs its own INCIDENT source" in result.stdout
    assert len(compass.events()) == 2
