"""GitHub's own webhook payloads, run through the action as the runner runs it (in process).

Each run gets the payload at ``GITHUB_EVENT_PATH`` and the ``GITHUB_*`` variables the runner sets
for that event (tests/webhooks.py); the stand-in keeps what Compass would keep. The question each
test asks: does Compass end up with exactly the deployments and builds a person would count?
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.action_runner import StepResult
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin

from .conftest import credentials
from .inprocess import InProcess
from .webhooks import payload, run_for

RUN_ID = 19_500_000_000
Step = Callable[..., StepResult]


@pytest.fixture
def step(in_process: InProcess) -> Step:
    def run(
        standin: Standin, workdir: Path, name: str, event: dict[str, Any] | None = None, **kw: Any
    ) -> StepResult:
        with_ = credentials(standin) | kw.pop("with_", {})
        return in_process(run_for(name, event, **kw), with_, workdir)

    return run


def deployments(standin: Standin) -> list[dict[str, Any]]:
    return [event["deploymentProperties"] for event in standin.events()]


def assert_skipped(result: StepResult, standin: Standin, because: str) -> None:
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.outputs["status"] == "skipped"
    assert result.outputs["delivered"] == "false"
    assert result.outputs["payload"] == ""
    assert "Nothing was sent to Compass" in result.stdout
    assert because in result.stdout
    assert "not sent" in result.summary
    assert standin.bodies() == []


# -- releases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "release/created.payload.json",
        "release/published.payload.json",
        "release/released.json",
    ],
)
def test_a_release_run_is_a_production_deployment_of_its_tag(
    step: Step, standin: Standin, workdir: Path, name: str
) -> None:
    result = step(standin, workdir, name)

    assert result.exit_code == 0, result.stdout + result.stderr
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["environment"]["category"] == "PRODUCTION"
    assert props["pipeline"]["pipelineId"] == "acme/shop/releases/17372790/attempts/1"
    assert props["sequenceNumber"] == 17372790 * 1000 + 1
    assert stored["displayName"] == "Deploy 0.0.1 to production"
    assert contract_errors(result.payload) == []


def test_a_prereleased_run_is_a_staging_deployment(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(standin, workdir, "release/prereleased.payload.json")

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "STAGING"
    assert result.outputs["environment-id"] == "staging"
    assert "pre-release" in result.stdout


@pytest.mark.parametrize(
    ("name", "because"),
    [
        ("release/edited.payload.json", "was edited"),
        ("release/deleted.payload.json", "was deleted"),
    ],
)
def test_release_changes_send_nothing(
    step: Step, standin: Standin, workdir: Path, name: str, because: str
) -> None:
    assert_skipped(step(standin, workdir, name), standin, because)


def test_an_unpublished_release_sends_nothing(step: Step, standin: Standin, workdir: Path) -> None:
    event = payload("release/published.payload.json") | {"action": "unpublished"}
    result = step(standin, workdir, "release/published.payload.json", event)
    assert_skipped(result, standin, "was unpublished")


def test_a_draft_release_sends_nothing(step: Step, standin: Standin, workdir: Path) -> None:
    event = payload("release/created.payload.json")
    event["release"]["draft"] = True
    result = step(standin, workdir, "release/created.payload.json", event)
    assert_skipped(result, standin, "is a draft")


def test_a_release_story_ends_with_the_deployments_a_person_counts(
    step: Step, standin: Standin, tmp_path: Path
) -> None:
    # One release fires created, published and released; each starts a run of the workflow, and
    # each run's deploy job fails. Then the person re-runs the published run, which succeeds.
    runs = [
        ("release/created.payload.json", RUN_ID + 1, 1, "failure"),
        ("release/published.payload.json", RUN_ID + 2, 1, "failure"),
        ("release/released.json", RUN_ID + 3, 1, "failure"),
        ("release/published.payload.json", RUN_ID + 2, 2, "success"),
    ]
    for index, (name, run_id, attempt, status) in enumerate(runs):
        result = step(
            standin,
            tmp_path / f"job{index}",
            name,
            run_id=run_id,
            run_attempt=attempt,
            job_status=status,
        )
        assert result.exit_code == 0, result.stdout + result.stderr

    stored = sorted(deployments(standin), key=lambda props: props["sequenceNumber"])
    # Two production deployments of release 0.0.1: the failed one and its successful re-run.
    assert [props["state"] for props in stored] == ["FAILED", "SUCCESSFUL"]
    assert {props["environment"]["category"] for props in stored} == {"PRODUCTION"}
    assert stored[0]["sequenceNumber"] < stored[1]["sequenceNumber"]
    assert len(standin.bodies()) == 4


# -- pushes and deleted refs --------------------------------------------------------------------


def test_a_push_that_deletes_a_tag_sends_nothing(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(standin, workdir, "push/payload.json")
    assert_skipped(result, standin, "deleted refs/tags/simple-tag")


def test_a_push_that_deletes_a_branch_sends_no_build(
    step: Step, standin: Standin, workdir: Path
) -> None:
    event = payload("push/payload.json") | {"ref": "refs/heads/old-feature"}
    result = step(standin, workdir, "push/payload.json", event, with_={"event-type": "build"})
    assert_skipped(result, standin, "deleted refs/heads/old-feature")


def test_a_delete_event_sends_nothing(step: Step, standin: Standin, workdir: Path) -> None:
    result = step(standin, workdir, "delete/payload.json", with_={"event-type": "build"})
    assert_skipped(result, standin, "delete event")


def test_a_tag_push_is_a_production_deployment(step: Step, standin: Standin, workdir: Path) -> None:
    # GitHub publishes no example of a tag push that is not a deletion: the deleting one, undone.
    event = payload("push/payload.json") | {"deleted": False, "created": True, "after": "f" * 40}
    result = step(standin, workdir, "push/payload.json", event)

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "PRODUCTION"
    assert standin.events()[0]["displayName"] == "Deploy simple-tag to production"


def test_a_pre_release_tag_push_is_not_production(
    step: Step, standin: Standin, workdir: Path
) -> None:
    event = payload("push/payload.json") | {
        "ref": "refs/tags/v1.2.3-rc.1",
        "deleted": False,
        "created": True,
        "after": "f" * 40,
    }
    result = step(standin, workdir, "push/payload.json", event)

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "STAGING"


def test_a_branch_push_build_names_its_branch(step: Step, standin: Standin, workdir: Path) -> None:
    result = step(
        standin, workdir, "push/with-new-branch.payload.json", with_={"event-type": "build"}
    )

    assert result.exit_code == 0, result.stderr
    [build] = standin.events()
    assert build["displayName"] == "Build of master #42"
    assert "(master)" in build["description"]


def test_a_dispatch_on_a_tag_is_a_production_deployment(
    step: Step, standin: Standin, workdir: Path
) -> None:
    event = payload("workflow_dispatch/payload.json") | {"ref": "refs/tags/v3.1.0"}
    result = step(standin, workdir, "workflow_dispatch/payload.json", event)

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "PRODUCTION"
    assert standin.events()[0]["displayName"] == "Deploy v3.1.0 to production"


# -- pull requests and merge queues --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("pull_request/opened.payload.json", "pull request #2"),
        ("pull_request/synchronize.payload.json", "pull request #"),
        ("merge_group/checks_requested.payload.json", "merge queue of main"),
    ],
)
def test_pre_merge_builds_are_not_reported_by_default(
    step: Step, standin: Standin, workdir: Path, name: str, label: str
) -> None:
    result = step(standin, workdir, name, with_={"event-type": "build"})
    assert_skipped(result, standin, label)
    assert "report-pull-requests: true" in result.stdout


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("pull_request/opened.payload.json", "pull request #2"),
        ("merge_group/checks_requested.payload.json", "merge queue of main"),
    ],
)
def test_pre_merge_builds_on_request_name_where_they_come_from(
    step: Step, standin: Standin, workdir: Path, name: str, label: str
) -> None:
    with_ = {"event-type": "build", "report-pull-requests": "true"}
    result = step(standin, workdir, name, with_=with_)

    assert result.exit_code == 0, result.stderr
    [build] = standin.events()
    assert build["displayName"] == f"Build of {label} #42"


def test_a_preview_deployment_from_a_pull_request_is_reported(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(
        standin, workdir, "pull_request/opened.payload.json", with_={"environment": "preview"}
    )

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "DEVELOPMENT"


# -- GitHub deployments -------------------------------------------------------------------------


def test_a_deployment_run_reports_the_github_deployment(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(standin, workdir, "deployment/payload.json")

    assert result.exit_code == 0, result.stderr
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["pipeline"]["pipelineId"] == "acme/shop/deployments/145988746"
    assert props["sequenceNumber"] == 145988746
    assert props["environment"]["environmentId"] == "production"
    assert props["state"] == "SUCCESSFUL"  # the deploying job's status
    assert props["startedAt"] == "2019-05-15T15:20:53.000Z"  # the deployment's creation
    assert "GitHub deployment 145988746" in stored["description"]


def status_event(state: str, second: int = 55, status_id: int = 209916254) -> dict[str, Any]:
    """GitHub's deployment_status example, with the status's state, time and id changed."""
    event = payload("deployment_status/payload.json")
    event["deployment_status"] |= {
        "state": state,
        "id": status_id,
        "created_at": f"2019-05-15T15:21:{second:02d}Z",
        "updated_at": f"2019-05-15T15:21:{second:02d}Z",
        "log_url": "https://ci.example.com/deploys/77/log",
    }
    return event


@pytest.mark.parametrize(
    ("state", "compass"),
    [
        ("queued", "PENDING"),
        ("pending", "PENDING"),
        ("in_progress", "IN_PROGRESS"),
        ("success", "SUCCESSFUL"),
        ("failure", "FAILED"),
        ("error", "FAILED"),
    ],
)
def test_a_deployment_status_run_reports_the_status_not_the_job(
    step: Step, standin: Standin, workdir: Path, state: str, compass: str
) -> None:
    # The reporting job succeeds whatever state it reports: job-status must not decide.
    event = status_event(state)
    result = step(standin, workdir, "deployment_status/payload.json", event, job_status="success")

    assert result.exit_code == 0, result.stdout + result.stderr
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["state"] == compass
    assert props["pipeline"]["pipelineId"] == "acme/shop/deployments/145988746"
    assert props["pipeline"]["url"] == stored["url"] == "https://ci.example.com/deploys/77/log"
    assert props["startedAt"] == "2019-05-15T15:20:53.000Z"
    assert stored["lastUpdated"] == "2019-05-15T15:21:55.000Z"
    assert ("completedAt" in props) is (compass in ("SUCCESSFUL", "FAILED"))


def test_an_inactive_status_sends_nothing(step: Step, standin: Standin, workdir: Path) -> None:
    result = step(standin, workdir, "deployment_status/payload.json", status_event("inactive"))
    assert_skipped(result, standin, "inactive")


def test_statuses_arriving_out_of_order_leave_the_latest(
    step: Step, standin: Standin, tmp_path: Path
) -> None:
    # Each status starts a run of its own; the success run finishes before the earlier ones.
    order = [("success", 58, 3), ("queued", 57, 1), ("in_progress", 57, 2)]
    for index, (state, second, status_id) in enumerate(order):
        result = step(
            standin,
            tmp_path / f"job{index}",
            "deployment_status/payload.json",
            status_event(state, second, 209916254 + status_id),
            run_id=RUN_ID + index,
        )
        assert result.exit_code == 0, result.stderr

    [props] = deployments(standin)  # one GitHub deployment, one Compass deployment
    assert props["state"] == "SUCCESSFUL"
    assert standin.state.dropped == 2


# The deploying workflow (`on: deployment`) whose job succeeded, and the two statuses GitHub
# recorded for its deployment, the last a failure: (the payload, its event, the job's status).
_DEPLOYMENT_STORY = {
    "deployment run": ("deployment/payload.json", None),
    "in_progress status": ("deployment_status/payload.json", ("in_progress", 56, 1)),
    "failure status": ("deployment_status/payload.json", ("failure", 58, 2)),
}


@pytest.mark.parametrize("order", list(itertools.permutations(_DEPLOYMENT_STORY)))
def test_a_github_deployment_ends_in_its_last_status_whatever_order_the_runs_finish_in(
    step: Step, standin: Standin, tmp_path: Path, order: tuple[str, ...]
) -> None:
    # The deployment run's job succeeded; GitHub's last status says the deployment failed.
    for index, name in enumerate(order):
        fixture, status = _DEPLOYMENT_STORY[name]
        event = (
            None if status is None else status_event(status[0], status[1], 209916254 + status[2])
        )
        result = step(
            standin,
            tmp_path / f"job{index}",
            fixture,
            event,
            run_id=RUN_ID + index,
            job_status="success",
        )
        assert result.exit_code == 0, result.stdout + result.stderr

    [props] = deployments(standin)  # one key for every run that reports the deployment
    assert props["state"] == "FAILED"
    assert props["pipeline"]["pipelineId"] == "acme/shop/deployments/145988746"
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []


def test_queued_and_in_progress_in_one_second_keep_their_order(
    step: Step, standin: Standin, tmp_path: Path
) -> None:
    for index, state in enumerate(["in_progress", "queued"]):
        step(
            standin,
            tmp_path / f"job{index}",
            "deployment_status/payload.json",
            status_event(state, 57),
            run_id=RUN_ID + index,
        )
    [props] = deployments(standin)
    assert props["state"] == "IN_PROGRESS"


def test_an_explicit_state_wins_over_the_status(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(
        standin,
        workdir,
        "deployment_status/payload.json",
        status_event("success"),
        with_={"state": "rolled_back"},
    )
    assert result.exit_code == 0, result.stderr
    assert deployments(standin)[0]["state"] == "ROLLED_BACK"


def test_github_pages_status_is_mirrored_with_its_log(
    step: Step, standin: Standin, workdir: Path
) -> None:
    result = step(standin, workdir, "deployment_status/gh-pages.payload.json")

    assert result.exit_code == 0, result.stdout + result.stderr
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["state"] == "IN_PROGRESS"
    assert props["environment"]["displayName"] == "github-pages"
    assert props["environment"]["category"] == "UNMAPPED"
    assert stored["url"].startswith("https://github.com/CorsixTH/CorsixTH/runs/")
    assert "environment-category" in result.stdout  # the UNMAPPED warning says what to set
