"""The Compass GraphQL operations the action uses, with typed results.

Documents follow Atlassian's published ones (notes/compass-api.md Appendix B) where the notes
have them. Where they do not, the decision and its source:
- Who owns the token: ``me { user { accountId name } }``, the form public scripts send to
  Atlassian's GraphQL gateway (found with the code search; no Compass document has it).
- A component's attached sources: ``component(id:) { ... on CompassComponent { eventSources } }``
  (notes §4); ``component`` answers a ``CompassComponent | QueryError`` union like the others.
- Events of a source: ``eventSource(...).events(query: CompassEventsInEventSourceQuery)``, whose
  one known field is ``timeParameters { startFrom endAt }`` (a generated client of Atlassian's
  schema lists it); the nodes' fields are those of GetEventSourceQuery in Appendix B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..limits import MAX_INT_DIGITS, Deadline, LongNumber, bounded_int
from .graphql import (
    GraphQLClient,
    GraphQLError,
    Trouble,
    found_member,
    mutation_payload,
    union_member,
)
from .graphql import answer_at as _get

TENANT_CONTEXTS = """
query compassActionCloudId($hostNames: [String!]) {
  tenantContexts(hostNames: $hostNames) { cloudId }
}"""

COMPONENTS_BY_REFERENCES = """
query compassActionComponents($references: [ComponentReferenceInput!]!) {
  compass {
    componentsByReferences(references: $references) {
      __typename
      ... on CompassComponent { id name type slug }
    }
  }
}"""

COMPONENT = """
query compassActionComponent($id: ID!) {
  compass {
    component(id: $id) {
      __typename
      ... on CompassComponent {
        id name type slug
        eventSources { id eventType externalEventSourceId }
      }
      ... on QueryError { message extensions { statusCode errorType } }
    }
  }
}"""

EVENT_SOURCE = """
query compassActionEventSource(
  $cloudId: ID!, $eventType: CompassEventType!, $externalEventSourceId: ID!
) {
  compass {
    eventSource(
      cloudId: $cloudId, eventType: $eventType, externalEventSourceId: $externalEventSourceId
    ) {
      __typename
      ... on EventSource { id eventType externalEventSourceId }
      ... on QueryError { message extensions { statusCode errorType } }
    }
  }
}"""

CREATE_EVENT_SOURCE = """
mutation compassActionCreateEventSource($input: CreateEventSourceInput!) {
  compass {
    createEventSource(input: $input) {
      success
      eventSource { id eventType externalEventSourceId }
      errors { message extensions { errorType statusCode } }
    }
  }
}"""

ATTACH_EVENT_SOURCE = """
mutation compassActionAttachEventSource($input: AttachEventSourceInput!) {
  compass {
    attachEventSource(input: $input) {
      success
      errors { message extensions { errorType statusCode } }
    }
  }
}"""


@dataclass(frozen=True)
class StoredShape:
    """How Compass shows one kind's events in a source, and what tells one event apart.

    ``keys`` and ``state`` are paths into the kind's properties object, the same object in the
    body we send and in the node Compass answers, so one rule serves both sides.
    """

    typename: str  # the CompassEvent type of the nodes
    properties: str  # the properties field, as in the REST body and the GraphQL node
    selection: str  # what is read of the properties
    keys: tuple[tuple[str, ...], ...]
    state: tuple[str, ...] | None = None


# Keyed by CompassEventType. Deployment to custom: Atlassian's GetEventSourceQuery (notes
# Appendix B). Push and vulnerability are not in it; their type and field names are those of
# the forge-graphql toolkit reference (CompassPushEvent.pushEventProperties,
# CompassVulnerabilityEvent.vulnerabilityProperties), their subfields the ids of the REST body.
STORED_SHAPES: dict[str, StoredShape] = {
    "DEPLOYMENT": StoredShape(
        "CompassDeploymentEvent",
        "deploymentProperties",
        "sequenceNumber state pipeline { pipelineId } environment { environmentId }",
        (("pipeline", "pipelineId"), ("environment", "environmentId"), ("sequenceNumber",)),
        ("state",),
    ),
    "BUILD": StoredShape(
        "CompassBuildEvent",
        "buildProperties",
        "state pipeline { pipelineId }",
        (("pipeline", "pipelineId"),),
        ("state",),
    ),
    "ALERT": StoredShape("CompassAlertEvent", "alertProperties", "id", (("id",),)),
    "FLAG": StoredShape("CompassFlagEvent", "flagProperties", "id status", (("id",),), ("status",)),
    "INCIDENT": StoredShape(
        "CompassIncidentEvent", "incidentProperties", "id state", (("id",),), ("state",)
    ),
    "LIFECYCLE": StoredShape(
        "CompassLifecycleEvent", "lifecycleProperties", "id stage", (("id",),), ("stage",)
    ),
    "CUSTOM": StoredShape("CompassCustomEvent", "customEventProperties", "id icon", (("id",),)),
    "PUSH": StoredShape("CompassPushEvent", "pushEventProperties", "id", (("id",),)),
    "VULNERABILITY": StoredShape(
        "CompassVulnerabilityEvent",
        "vulnerabilityProperties",
        "id state",
        (("id",),),
        ("state",),
    ),
}

_SOURCE_EVENTS = """
query compassActionSourceEvents(
  $cloudId: ID!, $eventType: CompassEventType!, $externalEventSourceId: ID!,
  $eventsQuery: CompassEventsInEventSourceQuery
) {
  compass {
    eventSource(
      cloudId: $cloudId, eventType: $eventType, externalEventSourceId: $externalEventSourceId
    ) {
      __typename
      ... on EventSource {
        events(query: $eventsQuery) {
          __typename
          ... on CompassEventConnection {
            nodes {
              __typename
              updateSequenceNumber
              lastUpdated
              ... on TYPENAME { PROPERTIES { SELECTION } }
            }
          }
          ... on QueryError { message extensions { statusCode errorType } }
        }
      }
      ... on QueryError { message extensions { statusCode errorType } }
    }
  }
}"""


def source_events_document(event_type: str) -> str:
    """The events query with only the fragment of ``event_type``: a type the site's schema
    lacks can then break verify of that kind alone."""
    shape = STORED_SHAPES[event_type]
    return (
        _SOURCE_EVENTS.replace("TYPENAME", shape.typename)
        .replace("PROPERTIES", shape.properties)
        .replace("SELECTION", shape.selection)
    )


def stored_keys(event_type: str, properties: object) -> tuple[str, ...]:
    """What tells an event of ``event_type`` apart in its source, from its properties."""
    return tuple(_text(_get(properties, *path)) for path in STORED_SHAPES[event_type].keys)


WHO_AM_I = """
query compassActionTokenOwner { me { user { accountId name } } }"""


@dataclass(frozen=True)
class Component:
    ari: str
    name: str
    type: str
    slug: str | None


@dataclass(frozen=True)
class EventSource:
    id: str
    event_type: str  # DEPLOYMENT, BUILD, ...
    external_id: str


@dataclass(frozen=True)
class ComponentDetails:
    component: Component
    sources: tuple[EventSource, ...]


@dataclass(frozen=True)
class StoredEvent:
    """An event as Compass holds it: the keys that identify it and its update number."""

    keys: tuple[str, ...]  # as stored_keys gives them
    update_sequence_number: int
    state: str


@dataclass(frozen=True)
class Owner:
    account_id: str
    name: str


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def cloud_id_for_host(client: GraphQLClient, host: str, deadline: Deadline) -> str:
    what = f"look up the cloud ID of {host}"
    data = client.call(what, TENANT_CONTEXTS, {"hostNames": [host]}, deadline)
    contexts = _items(data.get("tenantContexts"))
    if not contexts or not _get(contexts[0], "cloudId"):
        raise GraphQLError(
            f"Could not {what}: Compass knows no site of that name; check site, or set "
            "cloud-id (Compass settings, or the first UUID of a component ARI)",
            Trouble.NOT_FOUND,
        )
    return _text(contexts[0].get("cloudId"))


def components_by_slugs(
    client: GraphQLClient, cloud_id: str, slugs: Sequence[str], deadline: Deadline
) -> list[Component | None]:
    """One result per slug, in order: the component, or None when Compass has none by it."""
    references = [{"slug": {"slug": slug, "cloudId": cloud_id}} for slug in slugs]
    what = "look up the component" + ("s " if len(slugs) > 1 else " ") + ", ".join(slugs)
    data = client.call(what, COMPONENTS_BY_REFERENCES, {"references": references}, deadline)
    by_slug: dict[str, Component] = {}
    for item in _items(_get(data, "compass", "componentsByReferences")):
        if isinstance(item, dict) and item.get("__typename") == "CompassComponent":
            component = _component(item)
            by_slug[_text(item.get("slug"))] = component
    # Matched by slug, not position: Compass leaves out what it did not find.
    return [by_slug.get(slug) for slug in slugs]


def _component(item: dict[str, Any]) -> Component:
    slug = item.get("slug")
    return Component(
        ari=_text(item.get("id")),
        name=_text(item.get("name")),
        type=_text(item.get("type")),
        slug=None if slug is None else str(slug),
    )


def component_details(client: GraphQLClient, ari: str, deadline: Deadline) -> ComponentDetails:
    what = f"read component {ari}"
    data = client.call(what, COMPONENT, {"id": ari}, deadline)
    member = union_member(what, _get(data, "compass", "component"))
    sources = tuple(_source(item) for item in _items(member.get("eventSources")))
    return ComponentDetails(_component(member), sources)


def _source(item: object) -> EventSource:
    data = item if isinstance(item, dict) else {}
    return EventSource(
        _text(data.get("id")),
        _text(data.get("eventType")),
        _text(data.get("externalEventSourceId")),
    )


def _source_arguments(cloud_id: str, event_type: str, external_id: str) -> dict[str, Any]:
    return {"cloudId": cloud_id, "eventType": event_type, "externalEventSourceId": external_id}


def find_event_source(
    client: GraphQLClient, cloud_id: str, event_type: str, external_id: str, deadline: Deadline
) -> EventSource | None:
    """The source of this type and external ID, or None when there is none."""
    what = f"look up the {event_type} event source {external_id}"
    arguments = _source_arguments(cloud_id, event_type, external_id)
    data = client.call(what, EVENT_SOURCE, arguments, deadline)
    member = found_member(_get(data, "compass", "eventSource"), what)
    return None if member is None else _source(member)


def create_event_source(
    client: GraphQLClient, cloud_id: str, event_type: str, external_id: str, deadline: Deadline
) -> EventSource:
    what = f"create the {event_type} event source {external_id}"
    data = client.call(
        what,
        CREATE_EVENT_SOURCE,
        {"input": _source_arguments(cloud_id, event_type, external_id)},
        deadline,
    )
    payload = mutation_payload(what, _get(data, "compass", "createEventSource"))
    return _source(payload.get("eventSource"))


def attach_event_source(
    client: GraphQLClient, source: EventSource, component_ari: str, deadline: Deadline
) -> None:
    what = f"attach the {source.event_type} event source {source.external_id} to {component_ari}"
    data = client.call(
        what,
        ATTACH_EVENT_SOURCE,
        {"input": {"eventSourceId": source.id, "componentId": component_ari}},
        deadline,
    )
    mutation_payload(what, _get(data, "compass", "attachEventSource"))


def source_events(
    client: GraphQLClient, cloud_id: str, event_type: str, external_id: str, deadline: Deadline
) -> list[StoredEvent]:
    """The events Compass holds in the source (none yet when the source does not exist)."""
    what = "read the events Compass recorded"
    arguments = _source_arguments(cloud_id, event_type, external_id)
    document = source_events_document(event_type)
    data = client.call(what, document, arguments | {"eventsQuery": None}, deadline)
    try:
        source = union_member(what, _get(data, "compass", "eventSource"))
    except GraphQLError as exc:
        if exc.trouble is Trouble.NOT_FOUND:
            return []
        raise
    connection = union_member(what, source.get("events"))
    nodes = [node for node in _items(connection.get("nodes")) if isinstance(node, dict)]
    return [_stored(event_type, node) for node in nodes]


def _stored(event_type: str, node: dict[str, Any]) -> StoredEvent:
    shape = STORED_SHAPES[event_type]
    properties = node.get(shape.properties)
    state = "" if shape.state is None else _text(_get(properties, *shape.state))
    keys = stored_keys(event_type, properties)
    return StoredEvent(keys, _number(node.get("updateSequenceNumber")), state)


def _number(value: object) -> int:
    """A Long as JSON carries it (a number, or a string of digits); -1 when it is neither.

    Digits past any Long (5,000 of them: Python's int() refuses more than 4,300) make the
    answer unreadable, said as such, rather than fail after the event was accepted.
    """
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    long = isinstance(value, LongNumber)
    if isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit():
        number = bounded_int(value)
        if number is not None:
            return number
        long = True
    if long:
        raise GraphQLError(
            "Could not read the events Compass recorded: its answer holds an "
            f"updateSequenceNumber of more than {MAX_INT_DIGITS} digits, which no Long has"
        )
    return -1


def token_owner(client: GraphQLClient, deadline: Deadline) -> Owner:
    what = "find out whose API token this is"
    data = client.call(what, WHO_AM_I, {}, deadline)
    user = _get(data, "me", "user")
    if not isinstance(user, dict):
        raise GraphQLError(f"Could not {what}: Compass answered without a user")
    return Owner(_text(user.get("accountId")), _text(user.get("name")))
