"""The rules of the kinds other than deployment and build, each where it lives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_action.events.contract import EventType
from compass_action.events.incident import issue_incident_state
from compass_action.events.properties import PROPERTIES_LIMIT, parse_properties
from compass_action.events.severity import most_severe_label, resolve_severity
from compass_action.events.states import resolve_state
from compass_action.github.payload import Issue, issue_of
from tools.action_runner import Run
from tools.compass_standin import Standin

from .conftest import credentials
from .inprocess import InProcess
from .webhooks import payload


@pytest.mark.parametrize(
    ("given", "kind", "level"),
    [
        ("2", EventType.INCIDENT, "TWO"),
        ("sev1", EventType.INCIDENT, "ONE"),
        ("SEV-5", EventType.INCIDENT, "FIVE"),
        ("three", EventType.INCIDENT, "THREE"),
        ("critical", EventType.VULNERABILITY, "CRITICAL"),
        (" Low ", EventType.VULNERABILITY, "LOW"),
        ("p3", EventType.ALERT, "P3"),
    ],
)
def test_severities_are_read_on_each_kinds_scale(given: str, kind: EventType, level: str) -> None:
    assert resolve_severity(given, kind) == level


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        ("6", EventType.INCIDENT),
        ("high", EventType.INCIDENT),  # a word is read from labels, not from the input
        ("sev2", EventType.VULNERABILITY),
        ("P6", EventType.ALERT),
        ("high", EventType.FLAG),
    ],
)
def test_a_severity_off_the_scale_is_refused(given: str, kind: EventType) -> None:
    with pytest.raises(ValueError, match=f"{kind.value}"):
        resolve_severity(given, kind)


def test_the_most_severe_label_names_the_incident_level() -> None:
    labels = ["incident", "severity:low", "Sev 2", "bug", "severity/critical"]
    assert most_severe_label(labels) == ("severity/critical", "ONE")
    assert most_severe_label(["incident", "sev3"]) == ("sev3", "THREE")
    assert most_severe_label(["incident", "several", "sev6"]) is None


@pytest.mark.parametrize(
    ("raw", "kind", "state"),
    [
        ("Resolved", EventType.INCIDENT, "RESOLVED"),
        ("remediated", EventType.VULNERABILITY, "REMEDIATED"),
        ("snoozed", EventType.ALERT, "SNOOZED"),
        ("ON", EventType.FLAG, "on"),
        ("pre-release", EventType.LIFECYCLE, "PRE_RELEASE"),
    ],
)
def test_states_are_validated_per_kind(raw: str, kind: EventType, state: str) -> None:
    assert resolve_state(raw, kind) == state


@pytest.mark.parametrize("kind", [EventType.INCIDENT, EventType.FLAG, EventType.LIFECYCLE])
def test_a_job_status_is_no_state_of_the_other_kinds(kind: EventType) -> None:
    with pytest.raises(ValueError, match=r"is not an? .* state"):
        resolve_state("success", kind)


def issue(action: str, labels: list[str], state: str, label: str | None) -> Issue | None:
    event = payload("issues/opened.payload.json")
    event["action"] = action
    event["issue"]["labels"] = [{"name": name} for name in labels]
    event["issue"]["state"] = state
    if label is not None:
        event["label"] = {"name": label}
    return issue_of("issues", event)


@pytest.mark.parametrize(
    ("action", "labels", "state", "label", "expected"),
    [
        ("opened", ["incident"], "open", None, "OPEN"),
        ("labeled", ["incident", "sev2"], "open", "sev2", "OPEN"),
        ("labeled", ["incident", "sev2"], "closed", "sev2", "RESOLVED"),  # still resolved
        ("closed", ["incident"], "closed", None, "RESOLVED"),
        ("reopened", ["incident"], "open", None, "OPEN"),
        ("deleted", ["incident"], "closed", None, "DELETED"),
        ("unlabeled", [], "open", "incident", "DELETED"),
        ("unlabeled", ["incident"], "open", "sev2", "OPEN"),
        ("opened", ["bug"], "open", None, None),
        ("opened", ["Incident"], "open", None, "OPEN"),  # GitHub's labels ignore case
        ("unlabeled", [], "open", "bug", None),
    ],
)
def test_an_issue_is_an_incident_while_it_carries_the_label(
    action: str, labels: list[str], state: str, label: str | None, expected: str | None
) -> None:
    found = issue(action, labels, state, label)
    assert found is not None
    assert issue_incident_state(found, "incident") == expected


def test_properties_are_a_bounded_mapping_without_aliases() -> None:
    assert parse_properties('{"score": 9.8}') == {"score": 9.8}
    assert parse_properties("author:\n  name: Mona\n") == {"author": {"name": "Mona"}}
    for text, message in [
        ("[1, 2]", "must be a mapping"),
        ("just text", "must be a mapping"),
        ("{1: 2}", "must be a mapping"),
        ("a: &x [1]\nb: *x\n", "uses a YAML alias"),
        ("{a: [", "is not YAML or JSON at line 2, column 1"),
        ("a: !!python/object:os.system x", "is not YAML or JSON"),
        ("x" * (PROPERTIES_LIMIT + 1), f"at most {PROPERTIES_LIMIT} are read"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_properties(text)


def test_each_event_has_its_own_ledger_entry(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    # Two vulnerabilities in one job: the second does not take the first's start.
    with_ = credentials(standin) | {"event-type": "vulnerability", "severity": "LOW"}
    first = with_ | {"event-id": "CVE-1", "started-at": "2026-01-01T00:00:00Z"}
    assert in_process(Run(), first, workdir).exit_code == 0
    assert in_process(Run(), with_ | {"event-id": "CVE-2"}, workdir).exit_code == 0
    assert in_process(Run(), with_ | {"event-id": "CVE-1", "state": "remediated"}, workdir)
    one, two, one_again = (json.loads(body)["event"]["vulnerability"] for body in standin.bodies())
    start = "vulnerabilityStartTime"
    assert two["vulnerabilityProperties"][start] != "2026-01-01T00:00:00.000Z"
    # The same event later in the job keeps its start and numbers above its first send.
    assert one_again["vulnerabilityProperties"][start] == "2026-01-01T00:00:00.000Z"
    assert one_again["updateSequenceNumber"] > one["updateSequenceNumber"]
    ledger = json.loads((workdir / ".compass-action" / "sent-events.json").read_text())
    assert [json.loads(key)[2:] for key in ledger] == [
        ["vulnerability", "CVE-1"],
        ["vulnerability", "CVE-2"],
    ]


def test_inputs_a_kind_does_not_use_are_named_and_ignored(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "flag",
        "event-id": "new-checkout",
        "state": "off",
        "environment": "production",
        "icon": "warning",
        "ended-at": "2026-01-01T00:00:00Z",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0
    for name in ("environment", "icon", "ended-at"):
        assert f"::warning title=compass-action::{name} does not apply to a flag event" in (
            result.stdout
        )


def test_job_status_is_ignored_by_the_other_kinds_with_a_debug_line(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "lifecycle",
        "event-id": "shop",
        "state": "production",
    }
    result = in_process(Run(job_status="failure"), with_, workdir, {"RUNNER_DEBUG": "1"})

    assert result.exit_code == 0, result.stdout
    assert "job-status (failure) is ignored: a lifecycle event is not about the job" in (
        result.stdout
    )
    assert standin.events()[0]["lifecycleProperties"]["stage"] == "PRODUCTION"


def test_a_job_status_given_as_state_is_ignored_by_an_incident(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "incident",
        "event-id": "INC-1",
        "state": "failure",
    }
    result = in_process(Run(), with_, workdir, {"RUNNER_DEBUG": "1"})

    assert result.exit_code == 0, result.stdout
    assert "state (failure) is ignored: an incident event is not about the job" in result.stdout
    assert standin.events()[0]["incidentProperties"]["state"] == "OPEN"  # the kind's default


def test_an_end_in_the_future_is_refused(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "incident",
        "event-id": "INC-1",
        "state": "resolved",
        "ended-at": "2999-01-01T00:00:00Z",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 1 and standin.bodies() == []
    assert "::error title=Input ended-at::is in the future" in result.stdout
