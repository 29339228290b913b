"""The stand-in's GraphQL endpoint: the Compass subset the action uses, executed for real.

The schema below is written in SDL from the notes (notes/compass-api.md §4 and Appendix B):
each document the action sends is parsed, validated and executed by graphql-core, so a misspelt
field or a wrong argument type fails the test that sends it, as Compass would refuse it.

State: components (ARI, slug, name, type), event sources keyed by (external ID, type) as in
Compass's older flow, their attachments to components, and every accepted event with the time it
came, which the events query shows only after ``processing_delay`` seconds of ``clock`` (a test
hands in its skipping clock, so the wait costs no real time). Modes:
- ``require_source``: the events endpoint answers 404 CREATE_EVENT_SOURCE_NOT_FOUND until a
  source of the event's type and external ID is attached to the component (the older flow);
- ``failures``: scripted failures, each for the next call that names its field, in each shape
  GraphQL fails in: an HTTP error, top-level ``errors``, ``success: false``, a ``QueryError``
  member, an HTML page that echoes the Authorization header, a body that is not JSON, one too
  large to read.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import build_schema, graphql_sync

GRAPHQL_PATH = "/gateway/api/graphql"
STANDIN_CLOUD_ID = "83673fa7-fd28-4f4a-9738-f584064570a7"
# The component the stand-in knows from the start: tools.action_runner.EXAMPLE_COMPONENT.
STANDIN_COMPONENT = (
    f"ari:cloud:compass:{STANDIN_CLOUD_ID}:"
    "component/db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)

SCHEMA = build_schema(
    """
scalar Long
scalar DateTime
scalar URL

enum CompassEventType {
  ALERT BUILD CUSTOM DEPLOYMENT FLAG INCIDENT LIFECYCLE PULL_REQUEST PUSH VULNERABILITY
}
enum CompassComponentType { APPLICATION LIBRARY SERVICE OTHER }

type Query {
  tenantContexts(hostNames: [String!], cloudIds: [ID!], activationIds: [ID!]): [TenantContext!]
  compass: CompassCatalogQueryApi
  me: AuthenticationContext!
}
type Mutation { compass: CompassCatalogMutationApi }

type AuthenticationContext { user: User }
type User { accountId: ID! name: String! }
type TenantContext { cloudId: ID! hostName: String }

type CompassCatalogQueryApi {
  component(id: ID!): CompassComponentResult
  componentsByReferences(references: [ComponentReferenceInput!]!): [CompassComponent!]
  eventSource(
    cloudId: ID!, eventType: CompassEventType!, externalEventSourceId: ID!
  ): CompassEventSourceResult
  metricDefinitions(query: CompassMetricDefinitionsQuery!): CompassMetricDefinitionsQueryResult
  metricDefinition(cloudId: ID!, metricDefinitionId: ID!): CompassMetricDefinitionResult
}
input CompassMetricDefinitionsQuery { cloudId: ID!, first: Int, after: String }
union CompassMetricDefinitionsQueryResult = CompassMetricDefinitionsConnection | QueryError
union CompassMetricDefinitionResult = CompassMetricDefinition | QueryError
type CompassMetricDefinitionsConnection { nodes: [CompassMetricDefinition!], pageInfo: PageInfo! }
enum CompassMetricDefinitionType { BUILT_IN CUSTOM }
type CompassMetricDefinition {
  id: ID!
  name: String
  description: String
  type: CompassMetricDefinitionType!
  derivedEventTypes: [CompassEventType!]
}
input CompassComponentMetricSourcesQuery { first: Int, after: String }
union CompassComponentMetricSourcesQueryResult =
  CompassComponentMetricSourcesConnection | QueryError
type CompassComponentMetricSourcesConnection {
  nodes: [CompassMetricSource!], pageInfo: PageInfo!, totalCount: Int
}
type CompassMetricSource {
  id: ID!
  externalMetricSourceId: ID
  title: String
  url: String
  metricDefinition: CompassMetricDefinition
}
input CompassCreateMetricSourceInput {
  componentId: ID!
  metricDefinitionId: ID!
  externalMetricSourceId: ID!
  derived: Boolean
  forgeAppId: ID
  url: String
}
type CompassCreateMetricSourcePayload {
  success: Boolean!, errors: [MutationError!], createdMetricSource: CompassMetricSource
}
input ComponentReferenceInput { ari: ID, slug: ComponentSlugReferenceInput }
input ComponentSlugReferenceInput { slug: String!, cloudId: ID! }

type CompassComponent {
  id: ID!
  name: String!
  type: CompassComponentType!
  typeId: ID
  slug: String
  eventSources: [EventSource!]
  metricSources(query: CompassComponentMetricSourcesQuery): CompassComponentMetricSourcesQueryResult
}
type QueryError { identifier: ID, message: String, extensions: [QueryErrorExtension!] }
type QueryErrorExtension { statusCode: Int, errorType: String }
union CompassComponentResult = CompassComponent | QueryError
union CompassEventSourceResult = EventSource | QueryError

type EventSource {
  id: ID!
  eventType: CompassEventType!
  externalEventSourceId: ID!
  forgeAppId: ID
  events(query: CompassEventsInEventSourceQuery): CompassEventsQueryResult
}
input CompassEventsInEventSourceQuery { timeParameters: CompassEventTimeParameters }
input CompassEventTimeParameters { startFrom: DateTime, endAt: DateTime }
union CompassEventsQueryResult = CompassEventConnection | QueryError
type CompassEventConnection { nodes: [CompassEvent!], pageInfo: PageInfo! }
type PageInfo {
  hasNextPage: Boolean!, hasPreviousPage: Boolean!, startCursor: String, endCursor: String
}
interface CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
}
type CompassDeploymentEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  deploymentProperties: CompassDeploymentEventProperties
}
type CompassDeploymentEventProperties {
  sequenceNumber: Long
  state: String
  pipeline: CompassDeploymentEventPipeline
  environment: CompassDeploymentEventEnvironment
  startedAt: DateTime
  completedAt: DateTime
}
type CompassDeploymentEventPipeline { pipelineId: String, displayName: String, url: String }
type CompassDeploymentEventEnvironment {
  category: String, displayName: String, environmentId: String
}
type CompassBuildEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  buildProperties: CompassBuildEventProperties
}
type CompassBuildEventProperties {
  state: String
  pipeline: CompassBuildEventPipeline
  startedAt: DateTime
  completedAt: DateTime
}
type CompassBuildEventPipeline { pipelineId: String, displayName: String, url: String }
type CompassAlertEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  alertProperties: CompassAlertEventProperties
}
type CompassAlertEventProperties {
  id: String
  status: String
  priority: String
}
type CompassFlagEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  flagProperties: CompassFlagEventProperties
}
type CompassFlagEventProperties {
  id: String
  status: String
}
type CompassIncidentEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  incidentProperties: CompassIncidentEventProperties
}
type CompassIncidentEventProperties {
  id: String
  state: String
  startTime: DateTime
  endTime: DateTime
}
type CompassLifecycleEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  lifecycleProperties: CompassLifecycleEventProperties
}
type CompassLifecycleEventProperties {
  id: String
  stage: String
}
type CompassCustomEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  customEventProperties: CompassCustomEventProperties
}
type CompassCustomEventProperties {
  id: String
  icon: String
}
type CompassPushEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  pushEventProperties: CompassPushEventProperties
}
type CompassPushEventProperties {
  id: String
  branchName: String
}
type CompassVulnerabilityEvent implements CompassEvent {
  description: String
  displayName: String!
  eventType: CompassEventType!
  lastUpdated: DateTime!
  updateSequenceNumber: Long!
  url: URL
  vulnerabilityProperties: CompassVulnerabilityEventProperties
}
type CompassVulnerabilityEventProperties {
  id: String
  state: String
}

type CompassCatalogMutationApi {
  createEventSource(input: CreateEventSourceInput!): CreateEventSourcePayload
  attachEventSource(input: AttachEventSourceInput!): AttachEventSourcePayload
  createMetricSource(input: CompassCreateMetricSourceInput!): CompassCreateMetricSourcePayload
}
input CreateEventSourceInput {
  cloudId: ID!, eventType: CompassEventType!, externalEventSourceId: ID!
}
input AttachEventSourceInput { eventSourceId: ID!, componentId: ID! }
type CreateEventSourcePayload {
  success: Boolean!, errors: [MutationError!], eventSource: EventSource
}
type AttachEventSourcePayload { success: Boolean!, errors: [MutationError!] }
type MutationError { message: String, extensions: MutationErrorExtension }
type MutationErrorExtension { errorType: String, statusCode: Int }
"""
)


@dataclass
class FakeComponent:
    ari: str
    slug: str
    name: str
    type: str = "SERVICE"


@dataclass(frozen=True)
class FakeMetricDefinition:
    id: str
    name: str
    type: str = "CUSTOM"
    derived_event_types: tuple[str, ...] = ()


def metric_definition_ari(key: str) -> str:
    return f"ari:cloud:compass:{STANDIN_CLOUD_ID}:metric-definition/{key}"


def builtin_metric_ari(key: str) -> str:
    """Built-in definitions' ARIs have no cloud ID (enum BuiltinMetricDefinitions of
    @atlassian/forge-graphql-types, src/compound-types.ts)."""
    return f"ari:cloud:compass::metric-definition/builtin/{key}"


# Custom definitions, a built-in one that takes values and a built-in one Compass derives from
# deployment events.
STANDIN_METRIC_DEFINITIONS = (
    FakeMetricDefinition(metric_definition_ari("c5b1a2e0/5e1f0c4a"), "Code coverage"),
    FakeMetricDefinition(
        builtin_metric_ari("unit-test-coverage-avg-last-10"), "Unit test coverage", "BUILT_IN"
    ),
    FakeMetricDefinition(
        builtin_metric_ari("weekly-deployment-frequency-28d"),
        "Deployment Frequency",
        "BUILT_IN",
        ("DEPLOYMENT",),
    ),
    FakeMetricDefinition(metric_definition_ari("c5b1a2e0/7a2b9d31"), "Tests"),
    FakeMetricDefinition(metric_definition_ari("c5b1a2e0/0c3e8f52"), "Test failures"),
)


@dataclass
class Failure:
    """One scripted GraphQL failure, for the next call whose document names ``field``.

    ``form``: ``http`` (``status`` and ``body``), ``errors`` (top-level), ``success_false``
    (a mutation's payload), ``query_error`` (a union member, ``status`` its statusCode),
    ``html`` (a page echoing the Authorization header), ``not_json``, ``oversized``.
    """

    field: str
    form: str
    status: int = 500
    body: str = ""
    error_type: str = "INTERNAL_SERVER_ERROR"
    message: str = "Something went wrong"


@dataclass
class _Stored:
    at: float
    kind: str
    source_id: str
    data: dict[str, Any]


@dataclass
class GraphQLState:
    email: str = field(repr=False)
    token: str = field(repr=False)
    expected_auth: str = field(repr=False)
    cloud_id: str = STANDIN_CLOUD_ID
    site_hosts: set[str] = field(default_factory=lambda: {"127.0.0.1", "localhost", "[::1]"})
    components: list[FakeComponent] = field(
        default_factory=lambda: [FakeComponent(STANDIN_COMPONENT, "shop-api", "Shop API")]
    )
    # (externalEventSourceId, eventType) -> source id
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    attachments: set[tuple[str, str]] = field(default_factory=set)  # (source id, component ARI)
    require_source: bool = False
    processing_delay: float = 0.0
    clock: Callable[[], float] = time.monotonic
    failures: list[Failure] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # the operation name of every request
    owner: tuple[str, str] = ("5b10ac8d82e05b22cc7d4ef5", "Deploy Bot")
    # Metric definitions (id, name, type, derivedEventTypes) and metric sources: (component
    # ARI, definition id) -> (source id, external id); metric values as the REST answer says.
    metric_definitions: list[FakeMetricDefinition] = field(
        default_factory=lambda: list(STANDIN_METRIC_DEFINITIONS)
    )
    metric_sources: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    metric_values: list[dict[str, Any]] = field(default_factory=list)
    _stored: list[_Stored] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- the events endpoint's side ---------------------------------------------------------

    def missing_source(self, body: dict[str, Any]) -> str | None:
        """In ``require_source`` mode, Compass's 404 body for an event without its source."""
        if not self.require_source:
            return None
        kind, data = _kind(body)
        source = self.sources.get((str(data["externalEventSourceId"]), kind.upper()))
        if source is not None and (source, body.get("componentId")) in self.attachments:
            return None
        return json.dumps(
            {
                "errors": [
                    {"type": "CREATE_EVENT_SOURCE_NOT_FOUND", "message": "Event source not found"}
                ]
            }
        )

    def record(self, body: dict[str, Any]) -> None:
        """Keep an accepted event for the events query, with the time it came."""
        kind, data = _kind(body)
        self._stored.append(_Stored(self.clock(), kind, str(data["externalEventSourceId"]), data))

    # -- the GraphQL endpoint -----------------------------------------------------------------

    def handle(self, raw: str, authorization: str) -> tuple[int, str, dict[str, str]]:
        json_type = {"Content-Type": "application/json"}
        try:
            request = json.loads(raw)
            document = str(request["query"])
            variables = request.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return 400, json.dumps({"errors": [{"message": "not a GraphQL request"}]}), json_type
        self.calls.append(_operation_name(document))
        if authorization != self.expected_auth:
            return 401, json.dumps({"message": "Unauthorized"}), json_type
        failure = self._take_failure(document, ("http", "errors", "html", "not_json", "oversized"))
        if failure is not None:
            return _render(failure, authorization, raw)
        result = graphql_sync(SCHEMA, document, root_value=self._root(), variable_values=variables)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        return 200, json.dumps(payload), json_type

    def _take_failure(self, document: str, forms: tuple[str, ...]) -> Failure | None:
        for index, failure in enumerate(self.failures):
            if failure.form in forms and failure.field in document:
                return self.failures.pop(index)
        return None

    def _root(self) -> dict[str, Any]:
        return {
            "tenantContexts": self._tenant_contexts,
            "me": {"user": {"accountId": self.owner[0], "name": self.owner[1]}},
            "compass": {
                "component": self._component,
                "componentsByReferences": self._components_by_references,
                "eventSource": self._event_source,
                "createEventSource": self._create_event_source,
                "attachEventSource": self._attach_event_source,
                "metricDefinitions": self._metric_definitions,
                "metricDefinition": self._metric_definition,
                "createMetricSource": self._create_metric_source,
            },
        }

    def _query_error(self, field_name: str) -> dict[str, Any] | None:
        failure = self._take_failure(field_name, ("query_error",))
        if failure is None:
            return None
        return _query_error(failure.message, failure.status, failure.error_type)

    def _mutation_error(self, field_name: str) -> dict[str, Any] | None:
        failure = self._take_failure(field_name, ("success_false",))
        if failure is None:
            return None
        return _mutation_error(failure.message, failure.error_type, failure.status)

    def _tenant_contexts(self, _info: Any, hostNames: list[str] | None = None, **_: Any) -> Any:
        return [
            {"cloudId": self.cloud_id, "hostName": h}
            for h in hostNames or []
            if h in self.site_hosts
        ]

    def _component(self, _info: Any, id: str) -> dict[str, Any]:
        failed = self._query_error("component")
        if failed is not None:
            return failed
        for component in self.components:
            if component.ari == id:
                return self._component_data(component)
        return _query_error(f"Component {id} not found", 404, "NOT_FOUND")

    def _component_data(self, component: FakeComponent) -> dict[str, Any]:
        attached = [source for source, ari in self.attachments if ari == component.ari]
        return {
            "__typename": "CompassComponent",
            "id": component.ari,
            "name": component.name,
            "type": component.type,
            "slug": component.slug,
            "eventSources": [self._source_data(source) for source in sorted(attached)],
            "metricSources": lambda _info, query=None: self._metric_sources_of(component.ari),
        }

    def _source_data(self, source_id: str) -> dict[str, Any]:
        external, kind = next(key for key, value in self.sources.items() if value == source_id)
        return {
            "__typename": "EventSource",
            "id": source_id,
            "eventType": kind,
            "externalEventSourceId": external,
            "events": lambda _info, query=None: self._events(external, kind),
        }

    def _components_by_references(self, _info: Any, references: list[dict[str, Any]]) -> Any:
        found = []
        for reference in references:
            slug = reference.get("slug") or {}
            for component in self.components:
                if component.slug == slug.get("slug") and slug.get("cloudId") == self.cloud_id:
                    found.append(self._component_data(component))
        return found

    def _event_source(
        self, _info: Any, cloudId: str, eventType: str, externalEventSourceId: str
    ) -> dict[str, Any]:
        failed = self._query_error("eventSource")
        if failed is not None:
            return failed
        source = self.sources.get((externalEventSourceId, eventType))
        if source is None or cloudId != self.cloud_id:
            return _query_error("Event source not found", 404, "NOT_FOUND")
        return self._source_data(source)

    def _events(self, external: str, kind: str) -> dict[str, Any]:
        failed = self._query_error("events")
        if failed is not None:
            return failed
        now = self.clock()
        latest: dict[str, dict[str, Any]] = {}
        for stored in self._stored:
            if stored.kind.upper() != kind or stored.source_id != external:
                continue
            if stored.at + self.processing_delay > now:
                continue  # still being processed
            key = _identity(stored.kind, stored.data)
            held = latest.get(key)
            if held is None or stored.data["updateSequenceNumber"] > held["updateSequenceNumber"]:
                latest[key] = stored.data
        typename = _KINDS[kind.lower()][0]
        nodes = [{"__typename": typename, "eventType": kind, **data} for data in latest.values()]
        return {
            "__typename": "CompassEventConnection",
            "nodes": nodes,
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
        }

    def _create_event_source(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        failed = self._mutation_error("createEventSource")
        if failed is not None:
            return failed
        key = (str(input["externalEventSourceId"]), str(input["eventType"]))
        if input["cloudId"] != self.cloud_id:
            return _mutation_error("Invalid cloud ID", "CLOUD_ID_INVALID", 400)
        if key in self.sources:
            return _mutation_error("Event source already exists", "EVENT_SOURCE_EXISTS", 409)
        self.sources[key] = f"ari:cloud:compass:{self.cloud_id}:event-source/{next(self._ids)}"
        return {
            "success": True,
            "errors": None,
            "eventSource": self._source_data(self.sources[key]),
        }

    def _attach_event_source(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        failed = self._mutation_error("attachEventSource")
        if failed is not None:
            return failed
        source, component = str(input["eventSourceId"]), str(input["componentId"])
        if source not in self.sources.values():
            return _mutation_error("Event source not found", "NOT_FOUND", 404)
        if not any(item.ari == component for item in self.components):
            return _mutation_error("Component not found", "COMPONENT_NOT_FOUND", 404)
        self.attachments.add((source, component))
        return {"success": True, "errors": None}

    # -- metric definitions and sources --------------------------------------------------------

    def _definition_data(self, definition: FakeMetricDefinition) -> dict[str, Any]:
        return {
            "__typename": "CompassMetricDefinition",
            "id": definition.id,
            "name": definition.name,
            "type": definition.type,
            "derivedEventTypes": list(definition.derived_event_types) or None,
        }

    def _metric_definitions(self, _info: Any, query: dict[str, Any]) -> dict[str, Any]:
        failed = self._query_error("metricDefinitions")
        if failed is not None:
            return failed
        if query["cloudId"] != self.cloud_id:
            return _query_error("Invalid cloud ID", 400, "BAD_REQUEST")
        start = int(query.get("after") or 0)
        size = int(query.get("first") or 10)
        page = self.metric_definitions[start : start + size]
        more = start + size < len(self.metric_definitions)
        return {
            "__typename": "CompassMetricDefinitionsConnection",
            "nodes": [self._definition_data(item) for item in page],
            "pageInfo": {
                "hasNextPage": more,
                "hasPreviousPage": start > 0,
                "endCursor": str(start + size) if more else None,
            },
        }

    def _metric_definition(
        self, _info: Any, cloudId: str, metricDefinitionId: str
    ) -> dict[str, Any]:
        for item in self.metric_definitions:
            if item.id == metricDefinitionId and cloudId == self.cloud_id:
                return self._definition_data(item)
        return _query_error("Metric definition not found", 404, "NOT_FOUND")

    def _metric_sources_of(self, component: str) -> dict[str, Any]:
        failed = self._query_error("metricSources")
        if failed is not None:
            return failed
        nodes = [
            {
                "id": source_id,
                "externalMetricSourceId": external,
                "metricDefinition": {"__typename": "CompassMetricDefinition", "id": definition},
            }
            for (ari, definition), (source_id, external) in self.metric_sources.items()
            if ari == component
        ]
        return {
            "__typename": "CompassComponentMetricSourcesConnection",
            "nodes": nodes,
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
        }

    def _create_metric_source(self, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        failed = self._mutation_error("createMetricSource")
        if failed is not None:
            return failed
        component, definition = str(input["componentId"]), str(input["metricDefinitionId"])
        if not any(item.ari == component for item in self.components):
            return _mutation_error("Component not found", "NOT_FOUND", 404)
        if not any(item.id == definition for item in self.metric_definitions):
            return _mutation_error("Metric definition not found", "NOT_FOUND", 404)
        if (component, definition) in self.metric_sources:
            return _mutation_error("Metric source already exists", "ALREADY_EXISTS", 409)
        source_id = f"ari:cloud:compass:{self.cloud_id}:metric-source/{next(self._ids)}"
        external = str(input["externalMetricSourceId"])
        self.metric_sources[(component, definition)] = (source_id, external)
        return {
            "success": True,
            "errors": None,
            "createdMetricSource": {"id": source_id, "externalMetricSourceId": external},
        }

    def insert_metric_value(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The REST metrics endpoint's answer to a valid body, as the contract lists them."""
        definition_id, component = str(body["metricDefinitionId"]), str(body["componentId"])
        definition = next(
            (item for item in self.metric_definitions if item.id == definition_id), None
        )
        if definition is None:
            return 404, _rest_errors("NOT_FOUND", "Metric definition not found")
        if not any(item.ari == component for item in self.components):
            return 404, _rest_errors("NOT_FOUND", "Component not found")
        if definition.derived_event_types:
            return 400, _rest_errors(
                "BAD_REQUEST", "Metric values cannot be inserted into a derived metric source"
            )
        source = self.metric_sources.get((component, definition_id))
        if source is None:
            return 404, _rest_errors(
                "NOT_FOUND", "No metric source found for the metric definition and component"
            )
        value = {
            "metricSourceId": source[0],
            "value": body["value"],
            "timestamp": body.get("timestamp") or "2026-12-06T00:00:00Z",
        }
        self.metric_values.append({**value, "componentId": component, "definition": definition_id})
        return 200, value


def _rest_errors(kind: str, message: str) -> dict[str, Any]:
    return {"errors": [{"type": kind, "message": message}]}


def _kind(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    event = body["event"]
    kind = next(key for key, value in event.items() if value is not None)
    return kind, event[kind]


# Per body key: the node's type, its properties field, and the paths that tell events apart.
_KINDS: dict[str, tuple[str, str, tuple[tuple[str, ...], ...]]] = {
    "deployment": (
        "CompassDeploymentEvent",
        "deploymentProperties",
        (("pipeline", "pipelineId"), ("environment", "environmentId"), ("sequenceNumber",)),
    ),
    "build": ("CompassBuildEvent", "buildProperties", (("pipeline", "pipelineId"),)),
    "alert": ("CompassAlertEvent", "alertProperties", (("id",),)),
    "flag": ("CompassFlagEvent", "flagProperties", (("id",),)),
    "incident": ("CompassIncidentEvent", "incidentProperties", (("id",),)),
    "lifecycle": ("CompassLifecycleEvent", "lifecycleProperties", (("id",),)),
    "custom": ("CompassCustomEvent", "customEventProperties", (("id",),)),
    "push": ("CompassPushEvent", "pushEventProperties", (("id",),)),
    "vulnerability": ("CompassVulnerabilityEvent", "vulnerabilityProperties", (("id",),)),
}


def _identity(kind: str, data: dict[str, Any]) -> str:
    _, properties, paths = _KINDS[kind]
    values = []
    for path in paths:
        value: Any = data[properties]
        for key in path:
            value = value[key]
        values.append(value)
    return json.dumps(values)


def _operation_name(document: str) -> str:
    words = document.replace("(", " ").replace("{", " ").split()
    return words[1] if len(words) > 1 and words[0] in ("query", "mutation") else "anonymous"


def _query_error(message: str, status: int, error_type: str) -> dict[str, Any]:
    return {
        "__typename": "QueryError",
        "message": message,
        "extensions": [{"statusCode": status, "errorType": error_type}],
    }


def _mutation_error(message: str, error_type: str, status: int) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [
            {"message": message, "extensions": {"errorType": error_type, "statusCode": status}}
        ],
        "eventSource": None,
    }


def _render(failure: Failure, authorization: str, raw: str) -> tuple[int, str, dict[str, str]]:
    json_type = {"Content-Type": "application/json"}
    if failure.form == "http":
        return failure.status, failure.body, json_type
    if failure.form == "errors":
        errors = [
            {
                "message": failure.message,
                "extensions": {"errorType": failure.error_type, "statusCode": failure.status},
            }
        ]
        return 200, json.dumps({"errors": errors, "data": None}), json_type
    if failure.form == "html":
        page = (
            "<!DOCTYPE html><html><head><title>Gateway error</title></head><body><pre>"
            f"Authorization: {authorization}\n\n{raw}</pre></body></html>"
        )
        return 200, page, {"Content-Type": "text/html"}
    if failure.form == "not_json":
        return 200, f"upstream said: {authorization}", {"Content-Type": "text/plain"}
    return 200, '{"data": "' + "x" * (128 * 1024) + '"}', json_type
