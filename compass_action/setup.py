"""Setting up what an event needs in Compass: the component by slug, the event source.

Compass's older flow (notes/compass-api.md §2 B) keys an event source by (external event source
ID, event type) and answers 404 to an event whose source is not attached to the component. With
``setup-event-source: auto`` the action does what a person would do by hand: find or create the
source of the event's type, attach it, and send again once.
"""

from __future__ import annotations

from .clients import compass_graphql as ops
from .clients.delivery import DeliveryResult, Outcome
from .clients.graphql import GraphQLClient, GraphQLError, Trouble
from .events.builder import BuiltEvent
from .inputs import ActionInputs, is_component_slug, parse_component_ari
from .limits import Deadline
from .report.reporter import Reporter
from .text import QUOTED_VALUE, preview


def missing_event_source(result: DeliveryResult) -> bool:
    """True for the 404 that says the event source is missing (notes §1.5: a 404 of the events
    endpoint means the event source, never the component)."""
    answer = result.answer
    if result.outcome is not Outcome.REJECTED or answer is None or answer.status != 404:
        return False
    if not answer.errors:
        return True  # the documented meaning of the status, with nothing said against it
    return any(
        "EVENT_SOURCE" in (error.type or "").upper()
        or "event source" in (error.message or "").lower()
        for error in answer.errors
    )


def event_source_key(event: BuiltEvent) -> tuple[str, str]:
    """The event's (type, external event source ID), as Compass keys a source."""
    kind = event.event_type.value
    data = event.body["event"]
    assert isinstance(data, dict)
    return kind.upper(), str(data[kind]["externalEventSourceId"])


def set_up_event_source(
    event: BuiltEvent, client: GraphQLClient, deadline: Deadline, reporter: Reporter
) -> None:
    """Find or create the source of the event's type and attach it to the component."""
    kind, external = event_source_key(event)
    cloud, component = event.request.cloud_id, event.request.component_id
    details = ops.component_details(client, component, deadline)
    others = sorted(
        {
            s.event_type
            for s in details.sources
            if s.external_id == external and s.event_type != kind
        }
    )
    if others:
        reporter.info(
            f"The component has a {', '.join(others)} event source for {external}; "
            f"{event.event_type.a} event needs its own {kind} source"
        )
    source = ops.find_event_source(client, cloud, kind, external, deadline)
    if source is None:
        source = ops.create_event_source(client, cloud, kind, external, deadline)
        reporter.info(f"Created the {kind} event source {external} ({source.id})")
    else:
        reporter.info(f"Found the {kind} event source {external} ({source.id})")
    if any(attached.id == source.id for attached in details.sources):
        raise GraphQLError(
            f"The {kind} event source {external} is already attached to component "
            f"{details.component.name}, yet Compass answered 404; check that site, cloud-id "
            "and component-id name the same Compass site"
        )
    try:
        ops.attach_event_source(client, source, component, deadline)
    except GraphQLError as exc:
        raise GraphQLError(
            f"{exc}. The {kind} event source {external} exists but could not be attached to "
            f"component {details.component.name}; if it belongs to another component, detach "
            "it there, or set external-event-source-id to an ID of this component's own",
            exc.trouble,
            exc.error_type,
        ) from None
    reporter.info(f"Attached it to component {details.component.name} ({component})")


def resolve_components(
    inputs: ActionInputs,
    references: list[str],
    client: GraphQLClient,
    host: str,
    deadline: Deadline,
    reporter: Reporter,
) -> list[str]:
    """The components as ARIs, in order: every slug looked up in one request (the cloud ID from
    the site first when cloud-id is empty), every ARI as it is."""
    slugs = [item for item in references if is_component_slug(item)]
    if not slugs:
        return references
    cloud = inputs.cloud_id
    if cloud is None:
        cloud = ops.cloud_id_for_host(client, host, deadline)
        reporter.info(f"Cloud ID of {host}: {cloud}")
    found = dict(zip(slugs, ops.components_by_slugs(client, cloud, slugs, deadline), strict=True))
    missing = [slug for slug, component in found.items() if component is None]
    if missing:
        names = ", ".join(repr(slug) for slug in missing)
        raise GraphQLError(
            f"Compass has no component with the slug {names} on this site; check component-id "
            "(the slug is in the component's URL and its compass.yml) and site",
            Trouble.NOT_FOUND,
        )
    aris: dict[str, str] = {}
    for slug, component in found.items():
        assert component is not None  # the missing ones were raised above
        aris[slug] = _checked_ari(slug, component.ari, cloud)
        reporter.info(
            f"Component {slug}: {component.name} ({component.type.lower()}), {component.ari}"
        )
    return [aris.get(item, item) for item in references]


def _checked_ari(slug: str, ari: str, cloud: str) -> str:
    """The id Compass answered for ``slug``, if it is a component ARI of the cloud asked.

    The answer is checked as the input is: an id that is no component ARI would fail later
    with no word of where it came from, and one of another cloud would pair this site's cloud
    ID with another site's component, a pair component-id and cloud-id are refused for.
    """
    try:
        given = parse_component_ari(ari)
    except ValueError:
        shown = f"the id {preview(ari, QUOTED_VALUE)!r}" if ari else "no id"
        raise GraphQLError(
            f"Compass answered the slug {slug!r} with {shown}, which is not a "
            "component ARI; give the component's ARI as component-id instead (component page, "
            "'...' menu, 'Copy component ID')"
        ) from None
    if given.cloud_id != cloud:
        raise GraphQLError(
            f"Compass answered the slug {slug!r} with a component of another site ({ari}, cloud "
            f"ID {given.cloud_id!r}, not {cloud!r}); check site and cloud-id, or give the "
            "component's ARI as component-id"
        )
    return ari
