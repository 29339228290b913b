"""Observer runs, in process against both stand-ins: a workflow ``on: workflow_run`` reports the
run that triggered it, with the keys live sends in its jobs would have used.

The payload is octokit/webhooks' ``workflow_run/completed`` example (tests/fixtures/webhooks,
SOURCE.md), with the triggering run's id, event and head commit set here; the jobs, deployments
and statuses are served by tools/github_standin.py in the shapes GitHub's REST docs show.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compass_action.observe import CONCLUSION_STATES
from tools.action_runner import Run, StepResult, run_step
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin
from tools.github_standin import (
    GitHubStandin,
    Limited,
    deployment,
    deployment_status,
    job,
    workflow_run,
)

from .conftest import EMAIL, TOKEN, credentials
from .inprocess import InProcess
from .webhooks import payload

GITHUB_TOKEN = "ghs_0bServer7oken4Acti0nsRead00000000000"
REPO = "acme/shop"
TRIGGERING = 19_600_000_123
SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"
STARTED = 1_763_800_000.0
# The triggering run's jobs: a matrix with a failed and a cancelled leg, a skipped job, and a
# deploy job that deployed to production. (name, check run id, conclusion)
JOBS = [
    ("test (3.11)", 51_725_241_101, "success"),
    ("test (3.12)", 51_725_241_102, "failure"),
    ("test (3.13)", 51_725_241_103, "cancelled"),
    ("docs", 51_725_241_104, "skipped"),
    ("deploy", 51_725_241_105, "success"),
]
DEPLOY_JOB = JOBS[4][1]
DEPLOYMENT_ID = 1_234_567_890


def _time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN) as standin:
        jobs = [
            job(
                REPO,
                TRIGGERING,
                check_run,
                name,
                conclusion=conclusion,
                started=STARTED + index * 10,
                completed=STARTED + index * 10 + 95,
                head_sha=SHA,
            )
            for index, (name, check_run, conclusion) in enumerate(JOBS)
        ]
        standin.add_run(REPO, workflow_run(REPO, TRIGGERING, head_sha=SHA), jobs)
        log = f"https://github.com/{REPO}/actions/runs/{TRIGGERING}/job/{DEPLOY_JOB}"
        standin.add_deployment(
            REPO,
            deployment(REPO, DEPLOYMENT_ID, "production", sha=SHA),
            [
                deployment_status(REPO, DEPLOYMENT_ID, 1, "in_progress", log_url=log),
                deployment_status(REPO, DEPLOYMENT_ID, 2, "success", log_url=log),
            ],
        )
        # Another commit's deployment, which the observer must leave alone.
        other = deployment(REPO, DEPLOYMENT_ID + 1, "staging", sha="b" * 40)
        standin.add_deployment(REPO, other, [])
        yield standin


def observer_run(action: str = "completed", triggered_by: str = "push") -> Run:
    event = payload(f"workflow_run/{action}.payload.json")
    event["workflow_run"] |= {
        "id": TRIGGERING,
        "event": triggered_by,
        "head_sha": SHA,
        "name": "CI",
    }
    return Run(
        event_name="workflow_run",
        event=event,
        run_id=19_600_000_999,  # the listener's own run, which is not reported
        job="report",
        workflow="Report to Compass",
        check_run_id=51_725_249_999,
    )


def observe(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path, **with_: str
) -> StepResult:
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN}
    given["build-unit"] = "job"
    # The job unit unless a test says otherwise: these tests check each job's build.
    given |= {"build-unit": "job"} | with_
    return in_process(observer_run(), given, workdir, {"GITHUB_API_URL": github.url})


def builds(standin: Standin) -> dict[str, dict[str, Any]]:
    return {
        event["buildProperties"]["pipeline"]["pipelineId"]: event
        for event in standin.events()
        if "buildProperties" in event
    }


def test_an_observer_reports_the_triggering_runs_jobs_with_their_times(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    result = observe(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    stored = builds(standin)
    states = {
        pipeline.rsplit("/", 1)[1]: event["buildProperties"]["state"]
        for pipeline, event in stored.items()
    }
    # The skipped job is not a build; the listener's own job is not reported at all.
    assert states == {
        str(JOBS[0][1]): "SUCCESSFUL",
        str(JOBS[1][1]): "FAILED",
        str(JOBS[2][1]): "CANCELLED",
        str(DEPLOY_JOB): "SUCCESSFUL",
    }
    failed = stored[f"{REPO}/runs/{TRIGGERING}/attempts/1/jobs/{JOBS[1][1]}"]["buildProperties"]
    assert failed["startedAt"].startswith(_time(STARTED + 10))
    assert failed["completedAt"].startswith(_time(STARTED + 10 + 95))
    assert failed["pipeline"]["url"].endswith(f"/actions/runs/{TRIGGERING}/job/{JOBS[1][1]}")
    [deployed] = [event for event in standin.events() if "deploymentProperties" in event]
    props = deployed["deploymentProperties"]
    assert props["environment"]["environmentId"] == "production"
    assert props["state"] == "SUCCESSFUL"
    assert props["sequenceNumber"] == TRIGGERING * 1000 + 1
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []
    # The token is masked and asked GitHub for the jobs, the commit's deployments and statuses.
    assert f"::add-mask::{GITHUB_TOKEN}" in result.stdout
    assert GITHUB_TOKEN not in result.summary
    # The log and summary name each event by its job, not only by the (one) component.
    assert "5 of 5 events accepted by Compass" in result.summary
    assert "build of job test (3&#46;12)" in result.summary  # dots escaped against autolinks
    assert "deployment of job deploy to production" in result.summary
    paths = [path.split("?", 1)[0] for path, _ in github.requests]
    assert paths[0] == f"/repos/{REPO}/actions/runs/{TRIGGERING}/attempts/1/jobs"
    assert f"/repos/{REPO}/deployments/{DEPLOYMENT_ID}/statuses" in paths


def _live(
    in_process: InProcess, workdir: Path, name: str, check_run: int, **with_: str
) -> dict[str, Any]:
    """What a live send in that job of the triggering run would have sent."""
    with Standin(EMAIL, TOKEN) as live:
        run = Run(run_id=TRIGGERING, job=name.split(" ")[0], check_run_id=check_run, sha=SHA)
        job_dir = workdir / f"job-{check_run}"  # a job of its own, with its own payload
        job_dir.mkdir(exist_ok=True)
        result = in_process(run, credentials(live) | with_, job_dir)
        assert result.exit_code == 0, result.stdout
        [event] = live.events()
        return event


def _keys(event: dict[str, Any]) -> tuple[Any, ...]:
    props = event.get("buildProperties") or event["deploymentProperties"]
    return (
        event["externalEventSourceId"],
        props["pipeline"]["pipelineId"],
        props.get("environment", {}).get("environmentId"),
        props.get("sequenceNumber"),
    )


def test_an_observers_keys_equal_a_live_sends_in_that_job(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    observe(in_process, standin, github, workdir)
    observed = {_keys(event) for event in standin.events()}
    name, check_run, _ = JOBS[1]
    live_build = _live(in_process, workdir, name, check_run, **{"event-type": "build"})
    live_deploy = _live(in_process, workdir, "deploy", DEPLOY_JOB, **{"environment": "production"})
    assert _keys(live_build) in observed
    assert _keys(live_deploy) in observed


def test_a_release_runs_deployments_are_left_to_its_live_steps(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    # Live, they are keyed by the release, whose id the API's answer for the run lacks.
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN}
    # A release run's builds are of its tag, which counts only when build-branches names it.
    given |= {"build-unit": "job", "build-branches": "*"}
    run = observer_run(triggered_by="release")
    result = in_process(run, given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.stdout
    assert len(builds(standin)) == 4
    assert not [event for event in standin.events() if "deploymentProperties" in event]


def test_a_requested_run_is_reported_once_completed(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN}
    given["build-unit"] = "job"
    result = in_process(observer_run("requested"), given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0
    assert "once it has completed" in result.stdout
    assert standin.bodies() == [] and github.requests == []


def test_an_observer_without_a_token_names_it_before_asking_anything(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    given = credentials(standin) | {"event-type": "build", "github-token": ""}
    result = in_process(observer_run(), given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 1
    assert "github-token" in result.stdout and "actions: read" in result.stdout
    assert standin.bodies() == [] and github.requests == []


def test_a_rate_limit_past_the_timeout_warns_under_fail_on_config(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    github.limit_next(Limited(primary=True, wait=3000))
    result = observe(in_process, standin, github, workdir)
    # GitHub's limit is not the workflow's mistake: fail-on: config warns and sends nothing.
    assert result.exit_code == 0, result.stdout
    assert "::warning" in result.stdout and "raise timeout" in result.stdout
    assert standin.bodies() == []


def test_a_token_github_refuses_fails_the_step_naming_it(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    given = credentials(standin) | {"event-type": "build", "github-token": "ghs_no_access"}
    result = in_process(observer_run(), given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 1
    assert "::error" in result.stdout and "github-token" in result.stdout
    assert standin.bodies() == []


def test_every_conclusion_is_mapped_once() -> None:
    # GitHub's documented job conclusions, each either a state or "not sent" (None).
    documented = {
        "success",
        "failure",
        "cancelled",
        "timed_out",
        "action_required",
        "skipped",
        "neutral",
        "startup_failure",
        "stale",
    }
    assert set(CONCLUSION_STATES) == documented
    assert CONCLUSION_STATES["skipped"] == (None, None)


def test_a_pull_request_runs_builds_are_skipped_unless_asked(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    # As in a live run: Compass's build success rate counts builds of merged code.
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN}
    given["build-unit"] = "job"
    run = observer_run(triggered_by="pull_request")
    result = in_process(run, given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.stdout
    assert builds(standin) == {}
    assert len([event for event in standin.events() if "deploymentProperties" in event]) == 1


def test_an_observer_as_the_runner_runs_it_in_its_own_process(
    standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    # One subprocess run: the entrypoint, action.yml's inputs and GITHUB_API_URL as the runner
    # passes them; the in-process tests above cover the rules.
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN}
    given["build-unit"] = "job"
    result = run_step(observer_run(), given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(builds(standin)) == 4
    printed = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert GITHUB_TOKEN not in "\n".join(printed) + result.stderr + result.summary
