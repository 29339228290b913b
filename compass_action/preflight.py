"""``preflight: true``: check the set-up without sending an event, and say what to fix.

Each check reads Compass (GraphQL): whose token it is, the site's cloud ID, the component, and
the event sources attached to it for this event's type and source ID. Every finding is one line
of the log and of the job summary; a problem carries its fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .clients import compass_graphql as ops
from .clients.graphql import GraphQLClient, GraphQLError, Trouble
from .events.builder import BuiltEvent
from .inputs import ActionInputs
from .limits import Deadline
from .setup import event_source_key
from .text import markdown_cell as cell


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    text: str  # what was found, or the problem and its fix


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unavailable: bool = False  # a check could not be made: Compass unreachable or out of time

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.ok]

    def add(self, check: str, ok: bool, text: str) -> None:
        self.findings.append(Finding(check, ok, text))

    def failed(self, check: str, error: GraphQLError) -> None:
        self.unavailable |= error.trouble is Trouble.UNAVAILABLE
        self.add(check, False, str(error))

    def summary(self) -> str:
        lines = [
            f"- {'✅' if item.ok else '❌'} **{cell(item.check)}**: {cell(item.text)}"
            for item in self.findings
        ]
        verdict = "ready" if not self.problems else f"{len(self.problems)} problem(s) to fix"
        return "### Compass setup check: " + verdict + "\n\n" + "\n".join(lines) + "\n\n"


def preflight(
    inputs: ActionInputs,
    event: BuiltEvent,
    client: GraphQLClient,
    host: str,
    deadline: Deadline,
) -> Report:
    report = Report()
    try:
        owner = ops.token_owner(client, deadline)
    except GraphQLError as exc:
        report.failed("Token", exc)
        return report  # every further check would fail the same way
    report.add("Token", True, f"belongs to {owner.name} (account {owner.account_id})")
    _check_site(report, client, host, event.request.cloud_id, deadline)
    try:
        details = ops.component_details(client, event.request.component_id, deadline)
    except GraphQLError as exc:
        report.failed("Component", exc)
        return report
    component = details.component
    report.add(
        "Component",
        True,
        f"{component.name} ({component.type.lower()}, slug {component.slug}), {component.ari}",
    )
    _check_sources(report, inputs, event, client, details, deadline)
    return report


def _check_site(
    report: Report, client: GraphQLClient, host: str, cloud_id: str, deadline: Deadline
) -> None:
    try:
        site_cloud = ops.cloud_id_for_host(client, host, deadline)
    except GraphQLError as exc:
        report.failed("Site", exc)
        return
    if site_cloud != cloud_id:
        report.add(
            "Site",
            False,
            f"{host} has the cloud ID {site_cloud}, but the event names {cloud_id}; fix: give "
            "the site of the component, or a component-id (and cloud-id) of this site",
        )
        return
    report.add("Site", True, f"{host}, cloud ID {site_cloud}")


def _check_sources(
    report: Report,
    inputs: ActionInputs,
    event: BuiltEvent,
    client: GraphQLClient,
    details: ops.ComponentDetails,
    deadline: Deadline,
) -> None:
    kind, external = event_source_key(event)
    check = f"{kind} event source"
    attached = [s for s in details.sources if s.external_id == external]
    if any(source.event_type == kind for source in attached):
        report.add(check, True, f"{external} is attached to the component")
        return
    others = ", ".join(sorted({source.event_type for source in attached}))
    note = f" (the component has a {others} source for it, which takes no {kind.lower()}s)"
    try:
        source = ops.find_event_source(client, event.request.cloud_id, kind, external, deadline)
    except GraphQLError as exc:
        report.failed(check, exc)
        return
    state = "exists but is not attached to the component" if source else "does not exist"
    if inputs.setup_event_source == "auto":
        action = "attached" if source else "created and attached"
        report.add(
            check,
            True,
            f"{external} {state}{note if others else ''}; it will be {action} on the first "
            "send if Compass asks for it (setup-event-source: auto)",
        )
        return
    report.add(
        check,
        False,
        f"{external} {state}{note if others else ''}; fix: set setup-event-source: auto, or "
        f"create an event source of type {kind} with this ID and attach it to the component",
    )
