"""GitHub's security alerts as Compass vulnerability events: one vulnerability per alert.

Reconcile calls ``alert_events`` with the sources the ``vulnerabilities`` input names
(``code-scanning``, ``dependabot``, ``secret-scanning``). Each alert becomes ONE vulnerability,
its id ``<repository key>/<source>/<number>`` (the repository by its numeric id, as every key of the
action), so each reconcile sends the same vulnerability again in its current state:

- state: open -> OPEN, fixed -> REMEDIATED (its remediationTime the alert's ``fixed_at``),
  dismissed and auto_dismissed -> DECLINED;
- severity: ``SEVERITY_LEVELS``, one table. A code scanning alert is a vulnerability only when
  its rule is a security rule, which GitHub marks with ``security_severity_level``; its
  ``rule.severity`` (error, warning, note) rates any finding, a style warning too, and is not
  used: a lint finding counted as a vulnerability would distort Compass's security metrics.
- vulnerabilityStartTime: the alert's ``created_at``; the link its ``html_url``;
- the updateSequenceNumber: the alert's own latest change (``updated_at``, else the latest of
  its state times), in microseconds, so a later reconcile of an unchanged alert changes nothing
  and a change only ever moves the vulnerability forward, whatever order runs send in.

Tokens (GitHub's REST docs, "List code scanning alerts for a repository" and "List Dependabot
alerts for a repository"; and docs.github.com/en/actions/using-jobs/assigning-permissions-to-jobs,
whose list of GITHUB_TOKEN permissions has ``security-events`` but no Dependabot alerts
permission, which only fine-grained tokens and GitHub Apps have): code scanning needs
``security-events: read`` (the job's GITHUB_TOKEN can have it); Dependabot alerts need a
fine-grained token or GitHub App with "Dependabot alerts: read" (or a classic PAT with
``security_events``) — never the job's GITHUB_TOKEN. A source the token cannot read (HTTP 403
or 404) is skipped with a notice naming the token it needs; the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from .clients.github_api import (
    CodeScanningAlert,
    DependabotAlert,
    GitHubApi,
    GitHubApiError,
    SecretScanningAlert,
    code_scanning_alerts,
    dependabot_alerts,
    secret_scanning_alerts,
)
from .events.builder import BuiltEvent, build_event
from .events.contract import EventType, VulnerabilityLevel, VulnerabilityState
from .events.identity import UpdateSequence, repository_key
from .github.run_context import RunContext
from .inputs import VULNERABILITY_SOURCES, ActionInputs
from .limits import Deadline
from .problems import InputProblems, Problem
from .text import rfc3339

CODE_SCANNING, DEPENDABOT, SECRET_SCANNING = VULNERABILITY_SOURCES

# The token each source needs, for the notice when it cannot be read.
TOKEN_NEEDED = {
    CODE_SCANNING: (
        "give the job `permissions: security-events: read` (code scanning must be set up)"
    ),
    DEPENDABOT: (
        "the job's GITHUB_TOKEN can never read Dependabot alerts; pass as github-token a "
        "fine-grained token or GitHub App token with 'Dependabot alerts: read' (or a classic "
        "token with security_events), and have Dependabot alerts turned on"
    ),
    SECRET_SCANNING: (
        "pass as github-token a fine-grained token or GitHub App token with 'Secret scanning "
        "alerts: read' (or a classic token with repo or security_events); the job's "
        "GITHUB_TOKEN has no permission for them. Secret scanning must be turned on"
    ),
}

# A resolved secret scanning alert by its resolution: a revoked secret is remediated; the others
# say the finding needs no fix (a false positive, a test secret, a rule that changed, a risk
# accepted). github-for-jira sends every resolved one as closed; Compass has DECLINED for these.
SECRET_RESOLUTIONS: dict[str | None, VulnerabilityState] = {
    "revoked": VulnerabilityState.REMEDIATED,
    None: VulnerabilityState.REMEDIATED,  # resolved without a reason given
    "false_positive": VulnerabilityState.DECLINED,
    "wont_fix": VulnerabilityState.DECLINED,
    "used_in_tests": VulnerabilityState.DECLINED,
    "pattern_deleted": VulnerabilityState.DECLINED,
    "pattern_edited": VulnerabilityState.DECLINED,
}

# GitHub's severity words, both sources, as Compass's levels: the one table of this rule.
# The advisory database says "moderate" where the REST API says "medium".
SEVERITY_LEVELS: dict[str, VulnerabilityLevel] = {
    "critical": VulnerabilityLevel.CRITICAL,
    "high": VulnerabilityLevel.HIGH,
    "medium": VulnerabilityLevel.MEDIUM,
    "moderate": VulnerabilityLevel.MEDIUM,
    "low": VulnerabilityLevel.LOW,
}

# A secret scanning alert's states; its resolution decides a resolved one's (SECRET_RESOLUTIONS).
SECRET_STATES = ("open", "resolved")
# An alert's state as Compass's; a state not here (a future one) is not reported.
ALERT_STATES: dict[str, VulnerabilityState] = {
    "open": VulnerabilityState.OPEN,
    "fixed": VulnerabilityState.REMEDIATED,
    "dismissed": VulnerabilityState.DECLINED,
    "auto_dismissed": VulnerabilityState.DECLINED,
}

Notice = Callable[[str], None]


@dataclass(frozen=True)
class Finding:
    """One alert, as much as a vulnerability event needs of it, whichever source it is from."""

    source: str
    number: int
    state: VulnerabilityState
    level: VulnerabilityLevel
    created_at: datetime
    changed_at: datetime
    remediated_at: datetime | None
    url: str | None
    title: str
    score: float | None
    discovery_source: str
    target: str | None


def _changed_at(created: datetime, *times: datetime | None) -> datetime:
    return max([created, *(moment for moment in times if moment is not None)])


def code_scanning_finding(alert: CodeScanningAlert) -> Finding | None:
    """The finding, or None for a finding of no security rule or of an unknown state."""
    level = SEVERITY_LEVELS.get((alert.rule.security_severity_level or "").lower())
    state = ALERT_STATES.get(alert.state)
    if level is None or state is None:
        return None
    location = alert.most_recent_instance.location if alert.most_recent_instance else None
    tool = alert.tool.name or "code scanning"
    return Finding(
        source=CODE_SCANNING,
        number=alert.number,
        state=state,
        level=level,
        created_at=alert.created_at,
        changed_at=_changed_at(
            alert.created_at, alert.updated_at, alert.fixed_at, alert.dismissed_at
        ),
        remediated_at=alert.fixed_at,
        url=alert.html_url,
        title=alert.rule.description or alert.rule.name or alert.rule.id or f"alert {alert.number}",
        score=None,  # the list gives the level only, not the rule's numeric score
        discovery_source=f"GitHub code scanning ({tool})",
        target=location.path if location else None,
    )


def dependabot_finding(alert: DependabotAlert) -> Finding | None:
    advisory = alert.security_advisory
    level = SEVERITY_LEVELS.get((advisory.severity or "").lower())
    state = ALERT_STATES.get(alert.state)
    if level is None or state is None:
        return None
    package = alert.dependency.package.name if alert.dependency.package else None
    manifest = alert.dependency.manifest_path
    # A score without its vector is GitHub's placeholder 0.0, not a rating.
    cvss = advisory.cvss
    score = cvss.score if cvss is not None and cvss.vector_string else None
    name = advisory.cve_id or advisory.ghsa_id
    return Finding(
        source=DEPENDABOT,
        number=alert.number,
        state=state,
        level=level,
        created_at=alert.created_at,
        changed_at=_changed_at(
            alert.created_at,
            alert.updated_at,
            alert.fixed_at,
            alert.dismissed_at,
            alert.auto_dismissed_at,
        ),
        remediated_at=alert.fixed_at,
        url=alert.html_url,
        title=f"{name} in {package}" if package else name,
        score=score,
        discovery_source="GitHub Dependabot",
        target=" ".join(part for part in (package, manifest and f"({manifest})") if part) or None,
    )


def secret_scanning_finding(alert: SecretScanningAlert) -> Finding | None:
    """The finding; an exposed secret has no severity in GitHub's answer and is CRITICAL, as
    github-for-jira rates it. None for a state or resolution not known."""
    if alert.state == "open":
        state: VulnerabilityState | None = VulnerabilityState.OPEN
    elif alert.state == "resolved":
        state = SECRET_RESOLUTIONS.get(alert.resolution)
    else:
        state = None
    if state is None:
        return None
    kind = alert.secret_type_display_name or alert.secret_type or "secret"
    return Finding(
        source=SECRET_SCANNING,
        number=alert.number,
        state=state,
        level=VulnerabilityLevel.CRITICAL,
        created_at=alert.created_at,
        changed_at=_changed_at(alert.created_at, alert.updated_at, alert.resolved_at),
        remediated_at=alert.resolved_at,
        url=alert.html_url,
        title=f"{kind} exposed",
        score=None,
        discovery_source="GitHub secret scanning",
        target=None,
    )


def _read(
    api: GitHubApi, repository: str, source: str, deadline: Deadline, notice: Notice
) -> list[Finding | None]:
    if source == CODE_SCANNING:
        scanned = code_scanning_alerts(api, repository, deadline)
        return list(map(code_scanning_finding, _known_states(source, scanned, notice)))
    if source == DEPENDABOT:
        listed = dependabot_alerts(api, repository, deadline)
        return list(map(dependabot_finding, _known_states(source, listed, notice)))
    secrets = secret_scanning_alerts(api, repository, deadline)
    return list(map(secret_scanning_finding, _known_states(source, secrets, notice)))


def read_findings(
    api: GitHubApi, repository: str, sources: Sequence[str], deadline: Deadline, notice: Notice
) -> list[Finding]:
    """The findings of every source the token can read; the others skipped with a notice."""
    findings: list[Finding | None] = []
    for source in sources:
        try:
            findings += _read(api, repository, source, deadline, notice)
        except GitHubApiError as exc:
            if exc.status not in (403, 404):
                raise
            notice(
                f"{source} alerts skipped: GitHub answered HTTP {exc.status}, github-token "
                f"cannot read them; {TOKEN_NEEDED[source]}"
            )
    return [finding for finding in findings if finding is not None]


A = TypeVar("A", CodeScanningAlert, DependabotAlert, SecretScanningAlert)


def _known_states(source: str, alerts: list[A], notice: Notice) -> list[A]:
    """The alerts in a state the source documents; each other one skipped with a notice
    naming it (a state GitHub added later: reporting it as any of ours would be a guess)."""
    known = SECRET_STATES if source == SECRET_SCANNING else tuple(ALERT_STATES)
    for alert in alerts:
        if alert.state not in known:
            notice(
                f"{source} alert {alert.number} is skipped: its state {alert.state!r} is none "
                f"of {', '.join(known)}"
            )
    return [alert for alert in alerts if alert.state in known]


def alert_events(
    api: GitHubApi,
    inputs: ActionInputs,
    run: RunContext,
    sources: Sequence[str],
    components: list[str],
    deadline: Deadline,
    notice: Notice,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[BuiltEvent]:
    """One vulnerability event per alert and component, in the alert's current state."""
    repository = run.repository
    key = repository_key(run)
    if repository is None or key is None:
        raise InputProblems([Problem("GITHUB_REPOSITORY", "is not set; whose alerts to read")])
    numbers = UpdateSequence()  # unused: every alert carries its own number
    events = []
    findings = read_findings(api, repository, sources, deadline, notice)
    for index, finding in enumerate(findings):
        if deadline.expired():  # thousands of alerts take many seconds to build
            notice(f"The timeout ran out: {len(findings) - index} alerts are not reported")
            break
        label = f"{finding.source} alert {finding.number}"
        reading = now()
        if finding.changed_at > reading:  # numbered by it, it would outrank every later change
            notice(
                f"{label} is skipped: its last change ({rfc3339(finding.changed_at)}) is after "
                f"this runner's clock ({rfc3339(reading)})"
            )
            continue
        for component in components:
            given = _finding_inputs(inputs, component, key, repository, finding)
            try:
                event = build_event(given, run, now, numbers)
            except InputProblems as exc:  # its times (20 s ahead of this clock, say): this one
                problem = exc.problems[0]
                notice(f"{label} is skipped: {problem.input} {problem.message}")
                break
            events.append(replace(event, label=label))
    return events


def _finding_inputs(
    inputs: ActionInputs, component: str, key: str, repository: str, finding: Finding
) -> ActionInputs:
    properties: dict[str, Any] = {"discoverySource": finding.discovery_source}
    if finding.score is not None:
        properties["score"] = finding.score
    if finding.target is not None:
        properties["vulnerableTarget"] = finding.target
    remediated = finding.state is VulnerabilityState.REMEDIATED
    update: dict[str, Any] = {
        "component_id": component,
        "event_type": EventType.VULNERABILITY,
        "event_id": f"{key}/{finding.source}/{finding.number}",
        "state": finding.state.value,
        "severity": finding.level.value,
        "started_at": finding.created_at,
        "ended_at": (finding.remediated_at or finding.changed_at) if remediated else None,
        "update_sequence_number": int(finding.changed_at.timestamp()) * 1_000_000
        + finding.changed_at.microsecond,
        "url": finding.url,
        "display_name": f"{finding.level.value.capitalize()} vulnerability: {finding.title}",
        "description": (
            f"{finding.discovery_source} alert {finding.number} of {repository}: {finding.title}"
        ),
        "properties": json.dumps(properties),
        # Keys are the alert's own, never this run's inputs for a live send.
        "pipeline_id": None,
        "sequence_number": None,
        "environment": None,
        "environment_id": None,
        "environment_category": None,
        "icon": None,
        "check_run_id": None,
    }
    return inputs.model_copy(update=update)
