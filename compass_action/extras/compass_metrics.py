"""The Compass GraphQL operations behind metric values: definitions and metric sources.

Field and type names are those of Atlassian's published schema as the graphql-codegen output in
npm ``@atlassian/forge-graphql-types`` lists them: ``compass.metricDefinitions(query:
CompassMetricDefinitionsQuery!)`` (``cloudId``, ``first``, ``after``) answering
``CompassMetricDefinitionsConnection | QueryError``; ``CompassMetricDefinition`` with ``id``,
``name``, ``type`` (BUILT_IN or CUSTOM) and ``derivedEventTypes`` (the event types Compass derives
the metric from; empty or null when it cannot); a component's ``metricSources`` (a
``CompassComponentMetricSourcesConnection | QueryError``) whose nodes carry ``id``,
``externalMetricSourceId`` and ``metricDefinition { id }``; and ``compass.createMetricSource(
input: CompassCreateMetricSourceInput!)`` (``componentId``, ``metricDefinitionId``,
``externalMetricSourceId``) answering ``createdMetricSource``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..clients.graphql import (
    GraphQLClient,
    found_member,
    mutation_payload,
    union_member,
)
from ..clients.graphql import answer_at as _get
from ..limits import Deadline

_QUERY_ERROR = "... on QueryError { message extensions { statusCode errorType } }"

METRIC_DEFINITIONS = f"""
query compassActionMetricDefinitions($query: CompassMetricDefinitionsQuery!) {{
  compass {{
    metricDefinitions(query: $query) {{
      __typename
      ... on CompassMetricDefinitionsConnection {{
        nodes {{ id name type derivedEventTypes }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      {_QUERY_ERROR}
    }}
  }}
}}"""

METRIC_DEFINITION = f"""
query compassActionMetricDefinition($cloudId: ID!, $metricDefinitionId: ID!) {{
  compass {{
    metricDefinition(cloudId: $cloudId, metricDefinitionId: $metricDefinitionId) {{
      __typename
      ... on CompassMetricDefinition {{ id name type derivedEventTypes }}
      {_QUERY_ERROR}
    }}
  }}
}}"""

COMPONENT_METRIC_SOURCES = f"""
query compassActionMetricSources($id: ID!, $query: CompassComponentMetricSourcesQuery) {{
  compass {{
    component(id: $id) {{
      __typename
      ... on CompassComponent {{
        metricSources(query: $query) {{
          __typename
          ... on CompassComponentMetricSourcesConnection {{
            nodes {{ id externalMetricSourceId metricDefinition {{ id }} }}
            pageInfo {{ hasNextPage endCursor }}
          }}
          {_QUERY_ERROR}
        }}
      }}
      {_QUERY_ERROR}
    }}
  }}
}}"""

CREATE_METRIC_SOURCE = """
mutation compassActionCreateMetricSource($input: CompassCreateMetricSourceInput!) {
  compass {
    createMetricSource(input: $input) {
      success
      createdMetricSource { id externalMetricSourceId }
      errors { message extensions { errorType statusCode } }
    }
  }
}"""

# Pages read at most, of PAGE_SIZE each: a site's definitions, a component's metric sources.
PAGE_SIZE = 100
MAX_PAGES = 10


@dataclass(frozen=True)
class MetricDefinition:
    id: str
    name: str
    type: str  # BUILT_IN or CUSTOM
    derived_from: tuple[str, ...]  # the event types Compass derives it from; empty: none

    @property
    def derived(self) -> bool:
        return bool(self.derived_from)


@dataclass(frozen=True)
class MetricSource:
    id: str
    external_id: str
    definition_id: str


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _definition(item: object) -> MetricDefinition | None:
    if not isinstance(item, dict) or not _text(item.get("id")):
        return None  # one bad item is skipped, not a crash
    derived = item.get("derivedEventTypes")
    types = tuple(_text(kind) for kind in derived) if isinstance(derived, list) else ()
    return MetricDefinition(
        _text(item["id"]), _text(item.get("name")), _text(item.get("type")), types
    )


def metric_definitions(
    client: GraphQLClient, cloud_id: str, deadline: Deadline
) -> list[MetricDefinition]:
    """Every metric definition of the site, page by page (at most MAX_PAGES of them)."""
    what = "list the site's metric definitions"
    found: list[MetricDefinition] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {"cloudId": cloud_id, "first": PAGE_SIZE}
        if after:
            query["after"] = after
        data = client.call(what, METRIC_DEFINITIONS, {"query": query}, deadline)
        page = union_member(what, _get(data, "compass", "metricDefinitions"))
        nodes = page.get("nodes")
        found += [d for d in map(_definition, nodes if isinstance(nodes, list) else []) if d]
        after = _text(_get(page, "pageInfo", "endCursor"))
        if _get(page, "pageInfo", "hasNextPage") is not True or not after:
            break
    return found


def metric_definition(
    client: GraphQLClient, cloud_id: str, definition_id: str, deadline: Deadline
) -> MetricDefinition | None:
    """The definition of this ARI, or None when the site has none."""
    what = f"read the metric definition {definition_id}"
    arguments = {"cloudId": cloud_id, "metricDefinitionId": definition_id}
    data = client.call(what, METRIC_DEFINITION, arguments, deadline)
    member = found_member(_get(data, "compass", "metricDefinition"), what)
    return None if member is None else _definition(member)


def component_metric_sources(
    client: GraphQLClient, component: str, deadline: Deadline
) -> list[MetricSource]:
    """The component's metric sources, page by page (at most MAX_PAGES of them)."""
    what = f"read the metric sources of component {component}"
    found: list[MetricSource] = []
    after: str | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {"first": PAGE_SIZE}
        if after:
            query["after"] = after
        variables = {"id": component, "query": query}
        data = client.call(what, COMPONENT_METRIC_SOURCES, variables, deadline)
        member = union_member(what, _get(data, "compass", "component"))
        page = union_member(what, member.get("metricSources"))
        nodes = page.get("nodes")
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and _text(node.get("id")):
                found.append(
                    MetricSource(
                        _text(node["id"]),
                        _text(node.get("externalMetricSourceId")),
                        _text(_get(node, "metricDefinition", "id")),
                    )
                )
        after = _text(_get(page, "pageInfo", "endCursor"))
        if _get(page, "pageInfo", "hasNextPage") is not True or not after:
            break
    return found


def create_metric_source(
    client: GraphQLClient, component: str, definition_id: str, external_id: str, deadline: Deadline
) -> MetricSource:
    what = f"create a metric source of {definition_id} on component {component}"
    source_input = {
        "componentId": component,
        "metricDefinitionId": definition_id,
        "externalMetricSourceId": external_id,
    }
    data = client.call(what, CREATE_METRIC_SOURCE, {"input": source_input}, deadline)
    payload = mutation_payload(what, _get(data, "compass", "createMetricSource"))
    created = payload.get("createdMetricSource")
    return MetricSource(
        _text(_get(created, "id")), _text(_get(created, "externalMetricSourceId")), definition_id
    )
