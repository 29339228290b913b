"""GitHub's security alerts as Compass vulnerabilities (github_alerts.py).

Alert shapes: tools/github_standin.py (code_scanning_alert, dependabot_alert), after the example
responses of GitHub's REST docs, "List code scanning alerts for a repository" and "List
Dependabot alerts for a repository" (API version 2022-11-28).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from compass_action.clients.github_api import (
    CodeScanningAlert,
    DependabotAlert,
    GitHubApi,
    GitHubApiError,
)
from compass_action.events.builder import BuiltEvent
from compass_action.github.run_context import RunContext
from compass_action.github_alerts import (
    SEVERITY_LEVELS,
    alert_events,
    code_scanning_finding,
    dependabot_finding,
)
from compass_action.inputs import ActionInputs
from compass_action.limits import Deadline
from compass_action.main import fan_out
from compass_action.report.reporter import Reporter
from compass_action.send import Clients, SendOptions
from tools.action_runner import SkippedWaits
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin
from tools.github_standin import (
    GitHubStandin,
    Limited,
    code_scanning_alert,
    deny_alerts,
    dependabot_alert,
    secret_scanning_alert,
    set_alerts,
)

from .conftest import COMPONENT, EMAIL, TOKEN

GITHUB_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
REPO = "acme/shop"
REPO_KEY = "github.com:repository:123"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CREATED = 1_763_000_000.0  # 2025-11-13T02:13:20Z
FIXED = 1_763_500_000.0


def context() -> RunContext:
    run = RunContext.model_validate(
        {"repository": REPO, "repository_id": "123", "run_id": 19_600_000_123, "run_attempt": 1}
    )
    run.__dict__["event"] = {}
    return run


def inputs(site: str = "acme") -> ActionInputs:
    return ActionInputs.model_validate({"site": site, "component_id": COMPONENT})


def vulnerability(event: BuiltEvent) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(event.json_text)
    return dict(body["event"]["vulnerability"])


# -- one alert, one finding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [("open", "OPEN"), ("fixed", "REMEDIATED"), ("dismissed", "DECLINED")],
)
def test_code_scanning_states(state: str, expected: str) -> None:
    alert = CodeScanningAlert.model_validate(code_scanning_alert(REPO, 3, state=state))
    finding = code_scanning_finding(alert)
    assert finding is not None and finding.state.value == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("open", "OPEN"),
        ("fixed", "REMEDIATED"),
        ("dismissed", "DECLINED"),
        ("auto_dismissed", "DECLINED"),
    ],
)
def test_dependabot_states(state: str, expected: str) -> None:
    alert = DependabotAlert.model_validate(dependabot_alert(REPO, 3, state=state))
    finding = dependabot_finding(alert)
    assert finding is not None and finding.state.value == expected


def test_code_scanning_severity_is_the_security_severity_not_the_rules() -> None:
    # rule.severity is "error" in both; only the security level decides.
    low = code_scanning_alert(REPO, 1, security_severity="low")
    finding = code_scanning_finding(CodeScanningAlert.model_validate(low))
    assert finding is not None and finding.level.value == "LOW"
    # A finding of no security rule (a lint warning) is no vulnerability.
    lint = code_scanning_alert(REPO, 2, security_severity=None)
    assert code_scanning_finding(CodeScanningAlert.model_validate(lint)) is None


@pytest.mark.parametrize("word", sorted(SEVERITY_LEVELS))
def test_every_severity_word_maps_to_a_compass_level(word: str) -> None:
    alert = DependabotAlert.model_validate(dependabot_alert(REPO, 1, severity=word.upper()))
    finding = dependabot_finding(alert)
    assert finding is not None and finding.level is SEVERITY_LEVELS[word]


def test_an_unknown_state_is_not_reported() -> None:
    alert = DependabotAlert.model_validate(dependabot_alert(REPO, 1) | {"state": "withdrawn"})
    assert dependabot_finding(alert) is None


def test_a_score_without_its_vector_is_not_sent() -> None:
    alert = DependabotAlert.model_validate(dependabot_alert(REPO, 1, score=None))
    finding = dependabot_finding(alert)
    assert finding is not None and finding.score is None


# -- against the GitHub stand-in ------------------------------------------------------------------


@pytest.fixture
def waits() -> SkippedWaits:
    return SkippedWaits()


@pytest.fixture
def github(waits: SkippedWaits) -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN, wall=lambda: waits.wall().timestamp()) as standin:
        yield standin


def events_of(
    github: GitHubStandin,
    waits: SkippedWaits,
    sources: list[str],
    site: str = "acme",
    notices: list[str] | None = None,
) -> list[BuiltEvent]:
    with GitHubApi(github.url, GITHUB_TOKEN, waits.clock()) as api:
        return alert_events(
            api,
            inputs(site),
            context(),
            sources,
            [COMPONENT],
            Deadline(60.0, waits.monotonic),
            (notices if notices is not None else []).append,
            now=lambda: NOW,
        )


def test_each_alert_is_one_vulnerability_with_its_own_facts(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    set_alerts(github, REPO, "code-scanning", [code_scanning_alert(REPO, 7, created=CREATED)])
    fixed = dependabot_alert(REPO, 4, state="fixed", created=CREATED, changed=FIXED)
    set_alerts(github, REPO, "dependabot", [fixed])

    events = events_of(github, waits, ["code-scanning", "dependabot"])

    scanning, dependabot = (vulnerability(event) for event in events)
    props = scanning["vulnerabilityProperties"]
    assert props["id"] == f"{REPO_KEY}/code-scanning/7"
    assert props["state"] == "OPEN"
    assert props["severity"]["level"] == "HIGH"
    assert props["vulnerabilityStartTime"] == "2025-11-13T02:13:20.000Z"
    assert "remediationTime" not in props
    assert props["vulnerableTarget"] == "src/db.js"
    assert props["discoverySource"] == "GitHub code scanning (CodeQL)"
    assert scanning["url"] == f"https://github.com/{REPO}/security/code-scanning/7"
    assert scanning["updateSequenceNumber"] == int(CREATED) * 1_000_000

    props = dependabot["vulnerabilityProperties"]
    assert props["id"] == f"{REPO_KEY}/dependabot/4"
    assert props["state"] == "REMEDIATED"
    assert props["remediationTime"] == "2025-11-18T21:06:40.000Z"
    assert props["score"] == 5.5
    assert props["vulnerableTarget"] == "ansible (path/to/requirements.txt)"
    assert dependabot["displayName"] == "High vulnerability: CVE-2021-20191 in ansible"
    # The number is the alert's latest change, so a later state always numbers higher.
    assert dependabot["updateSequenceNumber"] == int(FIXED) * 1_000_000
    assert all(contract_errors(event.body) == [] for event in events)


def test_alerts_are_read_page_by_page_in_every_state(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    states = ["open", "fixed", "dismissed", "auto_dismissed"]
    alerts = [dependabot_alert(REPO, n, state=states[n % 4]) for n in range(1, 251)]
    set_alerts(github, REPO, "dependabot", alerts)
    events = events_of(github, waits, ["dependabot"])
    ids = sorted(
        int(vulnerability(e)["vulnerabilityProperties"]["id"].rsplit("/", 1)[1]) for e in events
    )
    assert ids == list(range(1, 251))
    paths = [path for path, _ in github.requests]
    assert len(paths) == 3 and all("state=" not in path for path in paths)


def test_a_source_the_token_cannot_read_is_skipped_with_a_notice(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    set_alerts(github, REPO, "code-scanning", [code_scanning_alert(REPO, 1)])
    deny_alerts(github, REPO, "dependabot")
    notices: list[str] = []
    events = events_of(github, waits, ["code-scanning", "dependabot"], notices=notices)
    assert len(events) == 1  # code scanning still reported
    [notice] = notices
    assert "dependabot alerts skipped: GitHub answered HTTP 403" in notice
    assert "GITHUB_TOKEN can never read Dependabot alerts" in notice
    assert GITHUB_TOKEN not in notice


def test_code_scanning_not_set_up_is_skipped_naming_its_permission(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    notices: list[str] = []
    # No alerts were ever set: GitHub answers 404 where code scanning has never run.
    assert events_of(github, waits, ["code-scanning"], notices=notices) == []
    [notice] = notices
    assert "HTTP 404" in notice and "security-events: read" in notice


def test_a_rate_limit_is_waited_out_not_taken_for_a_missing_permission(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    set_alerts(github, REPO, "code-scanning", [code_scanning_alert(REPO, 1)])
    github.limit_next(Limited(primary=True, wait=30.0))
    notices: list[str] = []
    assert len(events_of(github, waits, ["code-scanning"], notices=notices)) == 1
    assert notices == []


def test_other_failures_are_not_skipped(github: GitHubStandin, waits: SkippedWaits) -> None:
    wrong = "ghs_not_the_token_000000000000000000000"
    with (
        GitHubApi(github.url, wrong, waits.clock()) as api,
        pytest.raises(GitHubApiError, match="HTTP 401"),
    ):
        alert_events(
            api,
            inputs(),
            context(),
            ["code-scanning"],
            [COMPONENT],
            Deadline(60.0, waits.monotonic),
            lambda _notice: None,
            now=lambda: NOW,
        )


# -- through the Compass stand-in -----------------------------------------------------------------


def send(events: list[BuiltEvent], standin: Standin, waits: SkippedWaits) -> None:
    given = ActionInputs.model_validate(
        {"site": standin.base_url, "component_id": COMPONENT, "user_email": EMAIL}
        | {"api_token": TOKEN}
    )
    reporter = Reporter(github=True, debug_enabled=False, out=io.StringIO(), err=io.StringIO())
    with contextlib.ExitStack() as stack:
        deadline = Deadline(60.0, waits.monotonic)
        clients = Clients.open(given, reporter, waits.clock(), deadline, stack)
        results = fan_out(events, clients, SendOptions("never"), reporter)
    assert all(result.delivery.status == 202 for result in results)


def test_an_alert_changing_state_across_two_reconciles_ends_as_one_vulnerability(
    github: GitHubStandin, standin: Standin, waits: SkippedWaits
) -> None:
    opened = dependabot_alert(REPO, 9, created=CREATED)
    set_alerts(github, REPO, "dependabot", [opened, dependabot_alert(REPO, 10, created=CREATED)])
    send(events_of(github, waits, ["dependabot"], standin.base_url), standin, waits)

    dismissed = dependabot_alert(REPO, 9, state="dismissed", created=CREATED, changed=FIXED)
    set_alerts(github, REPO, "dependabot", [dismissed, dependabot_alert(REPO, 10, created=CREATED)])
    second = events_of(github, waits, ["dependabot"], standin.base_url)
    send(second, standin, waits)

    assert all(contract_errors(json.loads(body)) == [] for body in standin.bodies())
    stored = standin.events()
    assert len(stored) == 2  # alerts 9 and 10, each one vulnerability
    by_id = {event["vulnerabilityProperties"]["id"]: event for event in stored}
    assert by_id[f"{REPO_KEY}/dependabot/9"]["vulnerabilityProperties"]["state"] == "DECLINED"
    assert by_id[f"{REPO_KEY}/dependabot/10"]["vulnerabilityProperties"]["state"] == "OPEN"
    # The unchanged alert's second send carried the same number: Compass kept the first.
    assert standin.state.dropped == 1

    # An older reconcile arriving late cannot take the alert back to OPEN.
    set_alerts(github, REPO, "dependabot", [opened])
    send(events_of(github, waits, ["dependabot"], standin.base_url), standin, waits)
    stored_9 = {e["vulnerabilityProperties"]["id"]: e for e in standin.events()}
    assert stored_9[f"{REPO_KEY}/dependabot/9"]["vulnerabilityProperties"]["state"] == "DECLINED"


@pytest.mark.parametrize(
    ("state", "resolution", "expected"),
    [
        ("open", None, "OPEN"),
        ("resolved", "revoked", "REMEDIATED"),
        ("resolved", "false_positive", "DECLINED"),
        ("resolved", "used_in_tests", "DECLINED"),
        ("resolved", "wont_fix", "DECLINED"),
        ("resolved", "pattern_edited", "DECLINED"),
    ],
)
def test_secret_scanning_alerts_are_critical_vulnerabilities_in_their_state(
    github: GitHubStandin, waits: SkippedWaits, state: str, resolution: str | None, expected: str
) -> None:
    alert = secret_scanning_alert(
        REPO, 3, state=state, resolution=resolution, created=CREATED, changed=FIXED
    )
    set_alerts(github, REPO, "secret-scanning", [alert])

    [event] = events_of(github, waits, ["secret-scanning"])

    body = vulnerability(event)
    props = body["vulnerabilityProperties"]
    assert props["id"] == f"{REPO_KEY}/secret-scanning/3"
    assert props["state"] == expected
    assert props["severity"]["level"] == "CRITICAL"  # as github-for-jira rates an exposed secret
    assert props["discoverySource"] == "GitHub secret scanning"
    assert body["displayName"] == "Critical vulnerability: Adafruit IO Key exposed"
    assert body["url"] == f"https://github.com/{REPO}/security/secret-scanning/3"
    assert ("remediationTime" in props) is (expected == "REMEDIATED")
    # The secret GitHub's answer carries is never sent.
    assert alert["secret"] not in json.dumps(event.body)
    assert contract_errors(event.body) == []


def test_secret_scanning_the_token_cannot_read_is_skipped_naming_the_token_it_needs(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    deny_alerts(github, REPO, "secret-scanning")
    notices: list[str] = []
    assert events_of(github, waits, ["secret-scanning"], notices=notices) == []
    [notice] = notices
    assert "Secret scanning alerts: read" in notice
