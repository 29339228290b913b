"""Every kind of Compass event through the real entrypoint, against the stand-in.

Each test runs main() in this process (tests/inprocess.py) with the environment the runner
builds from action.yml; one runs the entrypoint as a subprocess. The stand-in validates every
body against the OpenAPI document (a body that breaks it is answered 400 and fails the test) and
keeps each event by its key (source, kind, id), dropping stale updates as Compass does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.action_runner import Run, run_step
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin

from .conftest import COMPONENT, credentials
from .inprocess import InProcess
from .webhooks import payload, run_for

REPOSITORY = "github.com:repository:123456789"  # the run's repository id, as the action derives it
SOURCE = f"{REPOSITORY}:component:{COMPONENT.rsplit('/', 1)[-1]}"  # and the component's
ISSUE_ID = f"{REPOSITORY}/issues/1"


def stored(standin: Standin, kind: str, event_id: str) -> dict[str, Any]:
    event = standin.event(kind, event_id, SOURCE, COMPONENT)
    assert event is not None, standin.events()
    return event


def sent(standin: Standin) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(standin.bodies()[-1])
    assert contract_errors(body) == []
    return body


# -- push ---------------------------------------------------------------------------------------


def test_a_push_run_sends_its_head_commit_on_its_branch(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = run_for("push/with-new-branch.payload.json")
    result = in_process(run, credentials(standin) | {"event-type": "push"}, workdir)

    assert result.exit_code == 0, result.stdout
    commit = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert result.outputs["event-id"] == commit and result.outputs["state"] == ""
    event = stored(standin, "push", commit)
    assert event["pushEventProperties"] == {
        "id": commit,
        "branchName": "master",
        "author": {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com"},
    }
    assert event["displayName"] == "Push to master: Initial commit"
    assert event["url"] == f"https://github.com/Codertocat/Hello-World/commit/{commit}"
    assert sent(standin)["event"].keys() == {"push"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"deleted": False, "created": True, "after": "f" * 40}, "tag simple-tag"),
        ({}, "deleted refs/tags/simple-tag"),  # GitHub's example is a tag deletion
    ],
)
def test_tag_pushes_and_deletions_send_nothing(
    standin: Standin,
    in_process: InProcess,
    workdir: Path,
    change: dict[str, Any],
    reason: str,
) -> None:
    event = payload("push/payload.json") | change
    run = run_for("push/payload.json", event)
    result = in_process(run, credentials(standin) | {"event-type": "push"}, workdir)

    assert result.exit_code == 0
    assert result.outputs["status"] == "skipped" and standin.bodies() == []
    assert "::notice" in result.stdout and reason in result.stdout


def test_each_push_is_an_event_of_its_own(
    standin: Standin, in_process: InProcess, tmp_path: Path
) -> None:
    first = run_for("push/with-new-branch.payload.json")
    event = payload("push/with-new-branch.payload.json")
    event["head_commit"] |= {"id": "a" * 40, "message": "Fix the checkout\n\nLonger text."}
    event |= {"before": event["after"], "after": "a" * 40, "created": False}
    for index, run in enumerate((first, run_for("push/with-new-branch.payload.json", event))):
        result = in_process(
            run, credentials(standin) | {"event-type": "push"}, tmp_path / str(index)
        )
        assert result.exit_code == 0, result.stdout

    assert len(standin.events()) == 2
    assert stored(standin, "push", "a" * 40)["displayName"] == "Push to master: Fix the checkout"


def test_a_push_outside_a_push_run_needs_its_id(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = Run(event_name="workflow_dispatch")
    result = in_process(run, credentials(standin) | {"event-type": "push"}, workdir)

    assert result.exit_code == 1 and standin.bodies() == []
    assert "title=Input event-id::is required for a push event: the pushed commit's SHA" in (
        result.stdout
    )


# -- incidents from issues ----------------------------------------------------------------------


def issue_run(action: str, labels: list[str], *, closed_at: str | None, updated_at: str) -> Run:
    """An ``issues`` run from GitHub's example, with the issue's labels and times set."""
    name = f"issues/{'opened' if action == 'closed' else action}.payload.json"
    event = payload(name)
    event["action"] = action
    issue = event["issue"]
    issue["labels"] = [{"name": label} for label in labels]
    issue["created_at"] = "2026-11-20T08:00:00Z"
    issue["updated_at"] = updated_at
    issue["closed_at"] = closed_at
    issue["state"] = "closed" if closed_at else "open"
    if action == "labeled":
        event["label"] = {"name": labels[-1]}
    return run_for(name, event)


STORY = [
    issue_run("opened", ["incident"], closed_at=None, updated_at="2026-11-20T08:00:00Z"),
    issue_run("labeled", ["incident", "sev2"], closed_at=None, updated_at="2026-11-20T08:05:00Z"),
    issue_run(
        "closed",
        ["incident", "sev2"],
        closed_at="2026-11-20T09:30:00Z",
        updated_at="2026-11-20T09:30:00Z",
    ),
]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)], ids=str)
def test_the_incident_story_ends_as_one_resolved_incident(
    standin: Standin, in_process: InProcess, tmp_path: Path, order: tuple[int, int, int]
) -> None:
    for index in order:  # each run of its own, so no job ledger is shared
        result = in_process(
            STORY[index], credentials(standin) | {"event-type": "incident"}, tmp_path / str(index)
        )
        assert result.exit_code == 0, result.stdout
        assert result.outputs["delivered"] == "true"

    [incident] = standin.events()
    assert incident["incidentProperties"] == {
        "id": ISSUE_ID,
        "state": "RESOLVED",
        "startTime": "2026-11-20T08:00:00.000Z",
        "endTime": "2026-11-20T09:30:00.000Z",
        "severity": {"label": "sev2", "level": "TWO"},
    }
    assert incident["url"] == "https://github.com/Codertocat/Hello-World/issues/1"
    assert incident["displayName"] == "Incident: Spelling error in the README file"
    assert stored(standin, "incident", ISSUE_ID) == incident


def test_an_issue_without_the_label_sends_nothing(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = run_for("issues/labeled.payload.json")  # labelled "bug" only
    result = in_process(run, credentials(standin) | {"event-type": "incident"}, workdir)

    assert result.exit_code == 0 and result.outputs["status"] == "skipped"
    assert "does not carry the label 'incident'" in result.stdout
    assert standin.bodies() == []


@pytest.mark.parametrize("name", ["issues/deleted.payload.json", "issues/unlabeled.payload.json"])
def test_a_deleted_or_unlabelled_incident_is_deleted(
    standin: Standin, in_process: InProcess, workdir: Path, name: str
) -> None:
    run = run_for(name)
    with_ = credentials(standin) | {"event-type": "incident", "incident-label": "bug"}
    if name.endswith("unlabeled.payload.json"):
        run.event["issue"]["labels"] = []  # type: ignore[index]  # the label just taken off
    result = in_process(run, with_, workdir)

    assert result.exit_code == 0, result.stdout
    assert stored(standin, "incident", ISSUE_ID)["incidentProperties"]["state"] == "DELETED"


def test_an_incident_by_inputs(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {
        "event-type": "incident",
        "event-id": "INC-7",
        "state": "resolved",
        "severity": "sev1",
        "started-at": "2026-11-20T08:00:00Z",
        "ended-at": "2026-11-20T09:00:00Z",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout
    assert stored(standin, "incident", "INC-7")["incidentProperties"] == {
        "id": "INC-7",
        "state": "RESOLVED",
        "startTime": "2026-11-20T08:00:00.000Z",
        "endTime": "2026-11-20T09:00:00.000Z",
        "severity": {"level": "ONE"},
    }


# -- the kinds given by inputs ------------------------------------------------------------------


def test_a_custom_checkpoint(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {
        "event-type": "custom",
        "display-name": "Database migration 42 applied",
        "icon": "checkpoint",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout
    event_id = "acme/shop/runs/19500000001/attempts/1/jobs/51725241954"
    event = stored(standin, "custom", event_id)
    assert event["customEventProperties"] == {"id": event_id, "icon": "CHECKPOINT"}
    assert event["displayName"] == "Database migration 42 applied"


def test_a_flag_flip(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {"event-type": "flag", "event-id": "new-checkout"}
    run = Run(event_name="workflow_dispatch", job_status="failure")  # ignored: not about the job
    on = in_process(run, with_ | {"state": "ON"}, workdir)
    off = in_process(run, with_ | {"state": "off"}, workdir)

    assert on.exit_code == 0 and off.exit_code == 0, off.stdout
    event = stored(standin, "flag", "new-checkout")
    assert event["flagProperties"] == {"id": "new-checkout", "status": "off"}
    assert event["displayName"] == "Flag new-checkout off"


def test_a_lifecycle_stage(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {
        "event-type": "lifecycle",
        "event-id": "shop-api",
        "state": "end-of-life",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout
    assert stored(standin, "lifecycle", "shop-api")["lifecycleProperties"] == {
        "id": "shop-api",
        "stage": "END_OF_LIFE",
    }


def test_an_alert_opened_then_closed(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {"event-type": "alert", "event-id": "PD-1", "severity": "p2"}
    opened = in_process(Run(), with_ | {"started-at": "2026-11-20T08:00:00Z"}, workdir)
    closed = in_process(
        Run(), with_ | {"state": "closed", "ended-at": "2026-11-20T08:20:00Z"}, workdir
    )

    assert opened.exit_code == 0 and closed.exit_code == 0, closed.stdout
    first, second = (json.loads(body)["event"]["alert"] for body in standin.bodies())
    assert first["alertProperties"] == {
        "id": "PD-1",
        "status": "OPENED",
        "priority": "P2",
        "createdAt": "2026-11-20T08:00:00.000Z",
    }
    assert second["updateSequenceNumber"] > first["updateSequenceNumber"]
    assert stored(standin, "alert", "PD-1")["alertProperties"] == {
        "id": "PD-1",
        "status": "CLOSED",
        "priority": "P2",
        "closedAt": "2026-11-20T08:20:00.000Z",
    }


def test_a_vulnerability_from_a_scanner(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "vulnerability",
        "event-id": "CVE-2026-12345",
        "severity": "critical",
        "started-at": "2026-11-20T08:00:00Z",
        "properties": "score: 9.8\ndiscoverySource: trivy\nvulnerableTarget: openssl 3.0.1\n",
    }
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout
    assert stored(standin, "vulnerability", "CVE-2026-12345")["vulnerabilityProperties"] == {
        "id": "CVE-2026-12345",
        "state": "OPEN",
        "severity": {"level": "CRITICAL"},
        "vulnerabilityStartTime": "2026-11-20T08:00:00.000Z",
        "score": 9.8,
        "discoverySource": "trivy",
        "vulnerableTarget": "openssl 3.0.1",
    }


def test_a_remediated_vulnerability_as_a_container_step(standin: Standin, workdir: Path) -> None:
    with_ = credentials(standin) | {
        "event-type": "vulnerability",
        "event-id": "CVE-2026-12345",
        "severity": "HIGH",
        "state": "remediated",
        "started-at": "2026-11-20T08:00:00Z",
        "ended-at": "2026-11-21T08:00:00Z",
        "properties": '{"severity": {"label": "High (CVSS 8.1)"}}',
    }
    result = run_step(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.outputs["event-id"] == "CVE-2026-12345" and result.outputs["pipeline-id"] == ""
    props = stored(standin, "vulnerability", "CVE-2026-12345")["vulnerabilityProperties"]
    assert props["state"] == "REMEDIATED"
    assert props["remediationTime"] == "2026-11-21T08:00:00.000Z"
    assert props["severity"] == {"label": "High (CVSS 8.1)", "level": "HIGH"}
    assert "Event ID" in result.summary and "Pipeline ID" not in result.summary


# -- refusals and what is required --------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_", "expected"),
    [
        (
            {"event-type": "pull-request"},
            [
                "Input event-type::pull-request events are not sent: Compass accepts them only "
                "from Forge apps and does not show them in the activity feed"
            ],
        ),
        (
            {"event-type": "custom"},
            ["Input display-name::is required for a custom event: what happened"],
        ),
        (
            {"event-type": "flag"},
            [
                "Input event-id::is required for a flag event: the feature flag's key",
                "Input state::is required for a flag event: one of on, off, created, archived",
            ],
        ),
        (
            {"event-type": "lifecycle"},
            [
                "Input event-id::is required for a lifecycle event",
                "Input state::is required for a lifecycle event: one of PRE_RELEASE, PRODUCTION,"
                " DEPRECATION, END_OF_LIFE",
            ],
        ),
        ({"event-type": "alert"}, ["Input event-id::is required for an alert event"]),
        ({"event-type": "incident"}, ["Input event-id::is required for an incident event"]),
        (
            {"event-type": "vulnerability"},
            [
                "Input event-id::is required for a vulnerability event: the vulnerability's ID",
                "Input severity::is required for a vulnerability event: CRITICAL, HIGH, MEDIUM "
                "or LOW",
            ],
        ),
        (
            {"event-type": "incident", "event-id": "I", "state": "open-ish"},
            [
                "Input state::'open-ish' is not an incident state; use one of OPEN, RESOLVED, "
                "DELETED"
            ],
        ),
        (
            # A job's status is no flag status: ignored, so the required state is missing.
            {"event-type": "flag", "event-id": "F", "state": "success"},
            ["Input state::is required for a flag event"],
        ),
        (
            {"event-type": "alert", "event-id": "A", "severity": "sev9"},
            ["Input severity::'sev9' is not an alert severity; use P1 to P5"],
        ),
        (
            {"event-type": "push", "event-id": "abc", "state": "on"},
            ["Input state::a push event has no state; leave state empty"],
        ),
        (
            {"event-type": "build", "severity": "high"},
            ["Input severity::a build event has no severity"],
        ),
        (
            {
                "event-type": "vulnerability",
                "event-id": "C",
                "severity": "LOW",
                "properties": "{score: high}",
            },
            ["Input properties::score: input should be a valid number"],
        ),
        (
            {
                "event-type": "vulnerability",
                "event-id": "C",
                "severity": "LOW",
                "properties": "{cvss: 3}",
            },
            ["Input properties::cvss: is not a property of this event"],
        ),
        (
            {"event-type": "flag", "event-id": "F", "state": "on", "properties": "[1, 2]"},
            ["Input properties::must be a mapping"],
        ),
        (
            {
                "event-type": "flag",
                "event-id": "F",
                "state": "on",
                "properties": "a: &x [1]\nb: *x\n",
            },
            ["Input properties::uses a YAML alias"],
        ),
    ],
)
def test_refusals_and_requirements_name_the_input(
    standin: Standin,
    in_process: InProcess,
    workdir: Path,
    with_: dict[str, str],
    expected: list[str],
) -> None:
    result = in_process(Run(), credentials(standin) | with_, workdir)

    assert result.exit_code == 1
    assert standin.bodies() == []  # refused before any network call
    for message in expected:
        assert message in result.stdout, result.stdout
