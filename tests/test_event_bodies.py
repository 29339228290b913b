"""Whole request bodies: for each event kind and each notable case, the entire body, written out.

A rule that drops or changes any field (a build's ``pipeline.url``, its ``displayName``, the
environment's category) fails here, where a test that looks at a few fields would pass. Each run
is one of GitHub's webhook payloads (tests/fixtures/webhooks) with the variables the runner
sets; the inputs are read from the environment step_env builds from action.yml, as in a run;
the clock and the update sequence clock are fixed. Each body also satisfies the OpenAPI contract.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from compass_action.events.builder import build_event
from compass_action.events.identity import FINAL_BAND, UpdateSequence
from compass_action.events.ledger import JobLedger
from compass_action.events.skipping import reason_to_skip
from compass_action.github.run_context import load_run_context
from compass_action.inputs import read_inputs
from tools.action_runner import Run, step_env
from tools.compass_contract import contract_errors

from .conftest import CLOUD_ID, COMPONENT
from .webhooks import payload, run_for

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
NOW_NS = 1_763_812_800_000_000_000  # NOW, for the update sequence clock

# One event source per repository and component (identity.external_event_source_id).
SOURCE = "github.com:repository:123456789:component:1e475014-aaaa-bbbb-cccc-0123456789ab"


def request_body(run: Run, with_: Mapping[str, str], tmp_path: Path) -> dict[str, Any]:
    """The bytes the action would send for ``run`` with ``with_``, parsed."""
    env = step_env(run, {"component-id": COMPONENT, "dry-run": "true"} | dict(with_), tmp_path)
    with mock.patch.dict(os.environ, env, clear=True):
        loaded = read_inputs()
        context = load_run_context()
    assert loaded.problems == []
    inputs = loaded.inputs
    skip = reason_to_skip(
        inputs.event_type,
        context,
        state_given=inputs.state is not None,
        report_pull_requests=inputs.report_pull_requests,
        incident_label=inputs.incident_label,
    )
    assert skip is None
    event = build_event(
        inputs, context, lambda: NOW, UpdateSequence(lambda: NOW_NS), JobLedger(None)
    )
    assert event.warnings == []
    body: dict[str, Any] = json.loads(event.json_text)
    assert contract_errors(body) == []
    return body


# -- deployments ------------------------------------------------------------------------------


def test_a_tag_push(tmp_path: Path) -> None:
    # GitHub publishes no example of a tag push that is not a deletion: the deleting one, undone.
    event = payload("push/payload.json") | {"deleted": False, "created": True, "after": "f" * 40}
    body = request_body(run_for("push/payload.json", event), {}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "deployment": {
                "displayName": "Deploy simple-tag to production",
                "description": (
                    "Deployment to production of acme/shop at simple-tag; commit "
                    "https://github.com/acme/shop/commit/ffffffffffffffffffffffffffffffffffffffff;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://github.com/acme/shop/actions/runs/19500000001/attempts/1",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": FINAL_BAND + 1763812800000000,
                "externalEventSourceId": SOURCE,
                "deploymentProperties": {
                    "sequenceNumber": 19500000001001,
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": ("acme/shop/runs/19500000001/attempts/1/jobs/51725241954"),
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "environment": {
                        "category": "PRODUCTION",
                        "displayName": "production",
                        "environmentId": "production",
                    },
                    "startedAt": "2026-11-22T12:00:00.000Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


def test_a_release_run(tmp_path: Path) -> None:
    body = request_body(run_for("release/published.payload.json"), {}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "deployment": {
                "displayName": "Deploy 0.0.1 to production",
                "description": (
                    "Deployment to production of acme/shop at 0.0.1; commit "
                    "https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://github.com/acme/shop/actions/runs/19500000001/attempts/1",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": FINAL_BAND + 1763812800000000,
                "externalEventSourceId": SOURCE,
                "deploymentProperties": {
                    "sequenceNumber": 17372790001,
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": "acme/shop/releases/17372790/attempts/1",
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "environment": {
                        "category": "PRODUCTION",
                        "displayName": "production",
                        "environmentId": "production",
                    },
                    "startedAt": "2026-11-22T12:00:00.000Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


def test_a_pre_release_run(tmp_path: Path) -> None:
    body = request_body(run_for("release/prereleased.payload.json"), {}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "deployment": {
                "displayName": "Deploy 0.0.1 to staging",
                "description": (
                    "Deployment to staging of acme/shop at 0.0.1; commit "
                    "https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://github.com/acme/shop/actions/runs/19500000001/attempts/1",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": FINAL_BAND + 1763812800000000,
                "externalEventSourceId": SOURCE,
                "deploymentProperties": {
                    "sequenceNumber": 17372790001,
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": "acme/shop/releases/17372790/attempts/1",
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "environment": {
                        "category": "STAGING",
                        "displayName": "staging",
                        "environmentId": "staging",
                    },
                    "startedAt": "2026-11-22T12:00:00.000Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


def test_a_deployment_status_run(tmp_path: Path) -> None:
    # GitHub's example status, turned into a success with a log: the status is what is reported,
    # at the status's time, for the GitHub deployment that started at its creation.
    event = payload("deployment_status/payload.json")
    event["deployment_status"] |= {
        "state": "success",
        "log_url": "https://ci.example.com/deploys/77/log",
    }
    body = request_body(run_for("deployment_status/payload.json", event), {}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "deployment": {
                "displayName": "Deploy master to production",
                "description": (
                    "Deployment to production of acme/shop at master; GitHub deployment "
                    "145988746; status success; commit "
                    "https://github.com/acme/shop/commit/f95f852bd8fca8fcc58a9a2d6c842781e32a215e;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://ci.example.com/deploys/77/log",
                "lastUpdated": "2019-05-15T15:20:55.000Z",
                "updateSequenceNumber": FINAL_BAND + 1557933655000004,
                "externalEventSourceId": SOURCE,
                "deploymentProperties": {
                    "sequenceNumber": 145988746,
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": "acme/shop/deployments/145988746",
                        "url": "https://ci.example.com/deploys/77/log",
                        "displayName": "Deploy / deploy",
                    },
                    "environment": {
                        "category": "PRODUCTION",
                        "displayName": "production",
                        "environmentId": "production",
                    },
                    "startedAt": "2019-05-15T15:20:53.000Z",
                    "completedAt": "2019-05-15T15:20:55.000Z",
                },
            }
        },
    }


# Every input that sets a key or a text of the event, each given explicitly.
OVERRIDES = {
    "cloud-id": CLOUD_ID,
    "pipeline-id": "acme/shop/deploy-pipeline",
    "update-sequence-number": "7000000000000001",
    "external-event-source-id": "acme-ci",
    "display-name": "Shop 2.4.0 to EU production",
    "description": "Blue-green switch of the EU fleet",
    "url": "https://ci.acme.example/deploys/2401",
    "started-at": "2026-11-22T11:45:30.250Z",
}


def test_a_deployment_with_every_key_given(tmp_path: Path) -> None:
    with_ = OVERRIDES | {
        "state": "rolled_back",
        "environment": "prod-eu",
        "environment-category": "production",
        "environment-id": "eu-prod-1",
        "sequence-number": "2401",
    }
    body = request_body(Run(), with_, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "deployment": {
                "displayName": "Shop 2.4.0 to EU production",
                "description": "Blue-green switch of the EU fleet",
                "url": "https://ci.acme.example/deploys/2401",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": 7000000000000001,
                "externalEventSourceId": "acme-ci",
                "deploymentProperties": {
                    "sequenceNumber": 2401,
                    "state": "ROLLED_BACK",
                    "pipeline": {
                        "pipelineId": "acme/shop/deploy-pipeline",
                        # The job that ran stays the pipeline's link; url is the event's.
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "environment": {
                        "category": "PRODUCTION",
                        "displayName": "prod-eu",
                        "environmentId": "eu-prod-1",
                    },
                    "startedAt": "2026-11-22T11:45:30.250Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


# -- builds -----------------------------------------------------------------------------------


def test_a_branch_push_build(tmp_path: Path) -> None:
    run = run_for("push/with-new-branch.payload.json")
    body = request_body(run, {"event-type": "build"}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "build": {
                "displayName": "Build of master #42",
                "description": (
                    "Build of acme/shop (master) at 6113728; commit "
                    "https://github.com/acme/shop/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://github.com/acme/shop/actions/runs/19500000001/attempts/1",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": FINAL_BAND + 1763812800000000,
                "externalEventSourceId": SOURCE,
                "buildProperties": {
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": ("acme/shop/runs/19500000001/attempts/1/jobs/51725241954"),
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "startedAt": "2026-11-22T12:00:00.000Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


def test_a_pull_request_build_with_report_pull_requests(tmp_path: Path) -> None:
    run = run_for("pull_request/opened.payload.json")
    body = request_body(run, {"event-type": "build", "report-pull-requests": "true"}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "build": {
                "displayName": "Build of pull request #2 #42",
                "description": (
                    "Build of acme/shop (pull request #2) at 0123456; commit "
                    "https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567;"
                    " Deploy / deploy run #42, attempt 1; by octocat"
                ),
                "url": "https://github.com/acme/shop/actions/runs/19500000001/attempts/1",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": FINAL_BAND + 1763812800000000,
                "externalEventSourceId": SOURCE,
                "buildProperties": {
                    "state": "SUCCESSFUL",
                    "pipeline": {
                        "pipelineId": ("acme/shop/runs/19500000001/attempts/1/jobs/51725241954"),
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "startedAt": "2026-11-22T12:00:00.000Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


def test_a_build_with_every_key_given(tmp_path: Path) -> None:
    body = request_body(Run(), OVERRIDES | {"event-type": "build", "state": "cancelled"}, tmp_path)

    assert body == {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            "build": {
                "displayName": "Shop 2.4.0 to EU production",
                "description": "Blue-green switch of the EU fleet",
                "url": "https://ci.acme.example/deploys/2401",
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "updateSequenceNumber": 7000000000000001,
                "externalEventSourceId": "acme-ci",
                "buildProperties": {
                    "state": "CANCELLED",
                    "pipeline": {
                        "pipelineId": "acme/shop/deploy-pipeline",
                        "url": (
                            "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954"
                        ),
                        "displayName": "Deploy / deploy",
                    },
                    "startedAt": "2026-11-22T11:45:30.250Z",
                    "completedAt": "2026-11-22T12:00:00.000Z",
                },
            }
        },
    }


@pytest.mark.parametrize("state", ["in_progress", "unknown"])
def test_a_build_still_running_has_no_completion(tmp_path: Path, state: str) -> None:
    body = request_body(Run(job="test"), {"event-type": "build", "state": state}, tmp_path)

    assert body["event"]["build"]["buildProperties"] == {
        "state": state.upper(),
        "pipeline": {
            "pipelineId": "acme/shop/runs/19500000001/attempts/1/jobs/51725241954",
            "url": "https://github.com/acme/shop/actions/runs/19500000001/job/51725241954",
            "displayName": "Deploy / test",
        },
        "startedAt": "2026-11-22T12:00:00.000Z",
    }


# -- the kinds keyed by an id of their own ------------------------------------------------------

RUN_URL = "https://github.com/acme/shop/actions/runs/19500000001/attempts/1"


def described(
    kind: str, revision: str = "0123456", sha: str = "0123456789abcdef" * 2 + "01234567"
) -> str:
    return (
        f"{kind} at {revision}; commit https://github.com/acme/shop/commit/{sha}; "
        "Deploy / deploy run #42, attempt 1; by octocat"
    )


def keyed_body(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The whole body of an event of ``kind``: every field is in ``fields`` or written here."""
    return {
        "cloudId": CLOUD_ID,
        "componentId": COMPONENT,
        "event": {
            kind: {
                "lastUpdated": "2026-11-22T12:00:00.000Z",
                "externalEventSourceId": SOURCE,
                **fields,
            }
        },
    }


def test_a_push_run_push(tmp_path: Path) -> None:
    body = request_body(
        run_for("push/with-new-branch.payload.json"), {"event-type": "push"}, tmp_path
    )

    sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert body == keyed_body(
        "push",
        {
            "displayName": "Push to master: Initial commit",
            "description": described("Push of 6113728f27ae to acme/shop", "6113728", sha),
            "url": f"https://github.com/Codertocat/Hello-World/commit/{sha}",
            "updateSequenceNumber": 1763812800000000,
            "pushEventProperties": {
                "id": sha,
                "branchName": "master",
                "author": {
                    "name": "Codertocat",
                    "email": "21031067+Codertocat@users.noreply.github.com",
                },
            },
        },
    )


def test_a_custom_checkpoint(tmp_path: Path) -> None:
    with_ = {"event-type": "custom", "display-name": "Migration 42 applied", "icon": "checkpoint"}
    body = request_body(Run(), with_, tmp_path)

    assert body == keyed_body(
        "custom",
        {
            "displayName": "Migration 42 applied",
            "description": described("Custom event of acme/shop"),
            "url": RUN_URL,
            "updateSequenceNumber": 1763812800000000,
            "customEventProperties": {
                "id": "acme/shop/runs/19500000001/attempts/1/jobs/51725241954",
                "icon": "CHECKPOINT",
            },
        },
    )


def test_a_lifecycle_stage(tmp_path: Path) -> None:
    with_ = {"event-type": "lifecycle", "event-id": "shop-api", "state": "deprecation"}
    body = request_body(Run(), with_, tmp_path)

    assert body == keyed_body(
        "lifecycle",
        {
            "displayName": "Lifecycle of shop-api: deprecation",
            "description": described("Lifecycle event of acme/shop"),
            "url": RUN_URL,
            "updateSequenceNumber": 1763812800000000,
            "lifecycleProperties": {"id": "shop-api", "stage": "DEPRECATION"},
        },
    )


def test_a_flag_flip_from_a_dispatch(tmp_path: Path) -> None:
    run = run_for("workflow_dispatch/payload.json")
    body = request_body(
        run, {"event-type": "flag", "event-id": "new-checkout", "state": "On"}, tmp_path
    )

    assert body == keyed_body(
        "flag",
        {
            "displayName": "Flag new-checkout on",
            "description": described("Flag event of acme/shop"),
            "url": RUN_URL,
            "updateSequenceNumber": 1763812800000000,
            "flagProperties": {"id": "new-checkout", "status": "on"},
        },
    )


def test_an_acknowledged_alert(tmp_path: Path) -> None:
    with_ = {"event-type": "alert", "event-id": "PD-1", "state": "acknowledged", "severity": "p1"}
    body = request_body(Run(), with_, tmp_path)

    assert body == keyed_body(
        "alert",
        {
            "displayName": "Alert PD-1 acknowledged",
            "description": described("Alert event of acme/shop"),
            "url": RUN_URL,
            "updateSequenceNumber": 1763812800000000,
            "alertProperties": {
                "id": "PD-1",
                "status": "ACKNOWLEDGED",
                "priority": "P1",
                "acknowledgedAt": "2026-11-22T12:00:00.000Z",
            },
        },
    )


def test_an_incident_from_an_opened_issue(tmp_path: Path) -> None:
    event = payload("issues/opened.payload.json")
    event["issue"]["labels"].append({"name": "Severity: High"})
    run = run_for("issues/opened.payload.json", event)
    body = request_body(run, {"event-type": "incident", "incident-label": "bug"}, tmp_path)

    assert body == keyed_body(
        "incident",
        {
            "displayName": "Incident: Spelling error in the README file",
            "description": described("Incident event of acme/shop"),
            "url": "https://github.com/Codertocat/Hello-World/issues/1",
            # The issue's time of change (2019-05-15T15:20:18Z) and the place of "opened".
            "updateSequenceNumber": 1557933618000001,
            "incidentProperties": {
                "id": "github.com:repository:123456789/issues/1",
                "state": "OPEN",
                "startTime": "2019-05-15T15:20:18.000Z",
                "severity": {"label": "Severity: High", "level": "TWO"},
            },
        },
    )


def test_a_declined_vulnerability_with_properties(tmp_path: Path) -> None:
    with_ = {
        "event-type": "vulnerability",
        "event-id": "CVE-2026-12345",
        "severity": "high",
        "state": "declined",
        "started-at": "2026-11-01T00:00:00Z",
        "properties": '{"score": 7.5, "vulnerableTarget": "libxml2", "severity": {"label": "7.5"}}',
    }
    body = request_body(Run(), with_, tmp_path)

    assert body == keyed_body(
        "vulnerability",
        {
            "displayName": "High vulnerability CVE-2026-12345",
            "description": described("Vulnerability event of acme/shop"),
            "url": RUN_URL,
            "updateSequenceNumber": 1763812800000000,
            "vulnerabilityProperties": {
                "id": "CVE-2026-12345",
                "state": "DECLINED",
                "severity": {"level": "HIGH", "label": "7.5"},
                "vulnerabilityStartTime": "2026-11-01T00:00:00.000Z",
                "score": 7.5,
                "vulnerableTarget": "libxml2",
            },
        },
    )
