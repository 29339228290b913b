"""Counting as Atlassian's apps count (issue 19, docs/counting.md), in process against both
stand-ins: the build unit, the branches whose builds count, runs that could not start.

Observer payloads are octokit/webhooks' ``workflow_run/completed`` example and live payloads its
``push`` example (tests/fixtures/webhooks, SOURCE.md), with the fields named here changed; jobs,
runs and deployments are served by tools/github_standin.py in the shapes of GitHub's REST docs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.action_runner import Run, StepResult
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin
from tools.github_standin import (
    GitHubStandin,
    add_history,
    deployment,
    deployment_status,
    history_ids,
    job,
    workflow_run,
)

from .conftest import EMAIL, TOKEN, credentials
from .inprocess import InProcess
from .webhooks import payload, run_for

GITHUB_TOKEN = "ghs_C0unting7oken4Acti0nsRead000000000000"
REPO = "acme/shop"
RUN_ID = 19_800_000_007
STARTED = 1_763_800_000.0
SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"
JOB_NAMES = ["build", "lint", "test", "package"]


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN) as standin:
        yield standin


def builds(standin: Standin) -> dict[str, str]:
    """Pipeline ID -> state of every build Compass holds."""
    return {
        event["buildProperties"]["pipeline"]["pipelineId"]: event["buildProperties"]["state"]
        for event in standin.events()
        if "buildProperties" in event
    }


def assert_contract(standin: Standin) -> None:
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []


# -- the build unit: an observed run with 4 jobs, one failed, and its successful re-run ---------


def add_attempt(
    github: GitHubStandin, attempt: int, failed: str | None, started: float = STARTED
) -> dict[str, Any]:
    """Attempt ``attempt`` of the run: 4 jobs, ``failed`` the one that failed (if any)."""
    at = started + (attempt - 1) * 600
    jobs = [
        job(
            REPO,
            RUN_ID,
            53_000_000_000 + attempt * 10 + index,
            name,
            attempt=attempt,
            conclusion="failure" if name == failed else "success",
            started=at + 5 + index,
            completed=at + 120 + index,
            head_sha=SHA,
        )
        for index, name in enumerate(JOB_NAMES)
    ]
    conclusion = "failure" if failed else "success"
    run = workflow_run(
        REPO, RUN_ID, attempt=attempt, conclusion=conclusion, head_sha=SHA, started=at
    )
    github.add_run(REPO, run, jobs)
    return run


def observer_run(triggering: dict[str, Any]) -> Run:
    event = payload("workflow_run/completed.payload.json")
    event["workflow_run"] |= {
        key: triggering[key]
        for key in (
            "id",
            "run_attempt",
            "conclusion",
            "status",
            "event",
            "head_sha",
            "head_branch",
            "name",
            "run_started_at",
            "updated_at",
            "created_at",
        )
    }
    event["repository"]["default_branch"] = "main"
    return Run(
        event_name="workflow_run",
        event=event,
        run_id=19_800_000_999,
        job="report",
        workflow="Report to Compass",
        check_run_id=53_999_999_999,
    )


def observe(
    in_process: InProcess,
    standin: Standin,
    github: GitHubStandin,
    workdir: Path,
    triggering: dict[str, Any],
    **with_: str,
) -> StepResult:
    given = credentials(standin) | {"event-type": "build", "github-token": GITHUB_TOKEN} | with_
    workdir.mkdir(exist_ok=True)
    result = in_process(observer_run(triggering), given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def test_an_observed_run_and_its_re_run_are_two_builds_in_the_run_unit(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    first = add_attempt(github, 1, failed="test")
    second = add_attempt(github, 2, failed=None)
    observe(in_process, standin, github, tmp_path / "1", first)
    observe(in_process, standin, github, tmp_path / "2", second)

    # One build per run attempt, as Atlassian's apps count: the failure stays counted.
    assert builds(standin) == {
        f"{REPO}/runs/{RUN_ID}/attempts/1": "FAILED",
        f"{REPO}/runs/{RUN_ID}/attempts/2": "SUCCESSFUL",
    }
    metrics = standin.metrics()
    assert (metrics.build_count, metrics.build_success_rate) == (2, 0.5)
    [stored] = [
        event["buildProperties"]
        for event in standin.events()
        if event.get("buildProperties", {}).get("pipeline", {}).get("pipelineId", "").endswith("/1")
    ]
    # The attempt's own times, as GitHub recorded them.
    assert stored["startedAt"] == first["run_started_at"].replace("Z", ".000Z")
    assert stored["completedAt"] == first["updated_at"].replace("Z", ".000Z")
    assert_contract(standin)


def test_the_same_run_and_re_run_are_eight_builds_in_the_job_unit(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    first = add_attempt(github, 1, failed="test")
    second = add_attempt(github, 2, failed=None)
    observe(in_process, standin, github, tmp_path / "1", first, **{"build-unit": "job"})
    observe(in_process, standin, github, tmp_path / "2", second, **{"build-unit": "job"})

    stored = builds(standin)
    assert len(stored) == 8
    assert sorted(stored.values()).count("FAILED") == 1
    assert all("/jobs/" in key for key in stored)
    assert standin.metrics().build_success_rate == 7 / 8


def test_a_run_that_could_not_start_is_a_failed_build(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # A broken workflow file: GitHub ends the run startup_failure, with no jobs at all.
    run = workflow_run(REPO, RUN_ID, conclusion="startup_failure", head_sha=SHA, started=STARTED)
    github.add_run(REPO, run, [])
    for unit in ("run", "job"):
        observe(in_process, standin, github, tmp_path / unit, run, **{"build-unit": unit})
        assert builds(standin) == {f"{REPO}/runs/{RUN_ID}/attempts/1": "FAILED"}


def test_an_observed_job_recorded_backwards_is_skipped_with_a_notice(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    good = job(REPO, RUN_ID, 53_100_000_001, "build", head_sha=SHA)
    # GitHub's record of a job that ended a second before it started (a clock stepped back).
    backwards = job(
        REPO, RUN_ID, 53_100_000_002, "lint", started=STARTED + 61, completed=STARTED + 60
    )
    run = workflow_run(REPO, RUN_ID, head_sha=SHA, started=STARTED)
    github.add_run(REPO, run, [good, backwards])

    result = observe(in_process, standin, github, tmp_path, run, **{"build-unit": "job"})

    assert builds(standin) == {f"{REPO}/runs/{RUN_ID}/attempts/1/jobs/53100000001": "SUCCESSFUL"}
    assert "::notice title=compass-action::job lint (53100000002) is skipped" in result.stdout
    assert "is in the future" not in result.stdout


# -- the story: live steps in the build job only, an outage, a reconcile that fills it in -------


def test_a_reconcile_set_up_as_the_docs_say_fills_exactly_the_builds_an_outage_swallowed(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # Ten runs of a build job and a deploy job; only the build job carries the action live.
    add_history(github, REPO, 10, 10, time.time())
    with Standin(EMAIL, TOKEN) as gone:
        pass  # its port is closed: Compass is out for three runs
    for index in range(10):
        run_id, build_id, _, _, sha = history_ids(index)
        site = gone if index in (2, 5, 8) else standin
        live = Run(run_id=run_id, job="build", check_run_id=build_id, sha=sha)
        given = credentials(site) | {"event-type": "build", "timeout": "5", "fail-on": "never"}
        in_process(live, given, tmp_path / "live")
    assert len(builds(standin)) == 7
    before = builds(standin)

    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {
        "github-token": GITHUB_TOKEN,
        "reconcile": "30d",
        "build-unit": "job",  # the unit live steps send
        "jobs": "build",  # the jobs that carry the action live
    }
    result = in_process(reconciler, given, tmp_path / "reconcile", {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    after = builds(standin)
    filled = {key: state for key, state in after.items() if key not in before}
    expected = {
        f"{REPO}/runs/{history_ids(index)[0]}/attempts/1/jobs/{history_ids(index)[1]}"
        for index in (2, 5, 8)
    }
    assert set(filled) == expected and set(filled.values()) == {"SUCCESSFUL"}
    assert len(standin.events()) == 10  # nothing else: no deployment, no other job
    assert standin.state.dropped == 7  # the live builds, sent again, changed nothing
    assert "Skipped: job not in the jobs input | 10 |" in result.summary
    # Each deployment's statuses are asked once: the deployments' pass reuses the runs'.
    statuses = [path for path, _ in github.requests if path.split("?")[0].endswith("/statuses")]
    assert len(statuses) == len(set(statuses)) == 10
    assert_contract(standin)


# -- which branches' builds count ------------------------------------------------------------


def push_to(ref: str) -> dict[str, Any]:
    event = payload("push/with-new-branch.payload.json")  # a push that creates its branch
    event["ref"] = ref
    event["repository"]["default_branch"] = "main"
    return event


@pytest.mark.parametrize(
    ("ref", "build_branches", "counted"),
    [
        ("refs/heads/main", "", True),
        ("refs/heads/TES-123-test-ref", "", False),
        ("refs/heads/TES-123-test-ref", "release/*, TES-*", True),
        ("refs/heads/release/2.0", "release/*", True),
        ("refs/tags/v1.2.0", "", False),
        ("refs/tags/v1.2.0", "v*", True),
        ("refs/tags/v1.2.0", "*", True),
        ("refs/heads/feature", "*", True),
    ],
)
def test_builds_count_on_the_default_branch_unless_build_branches_widens_it(
    in_process: InProcess,
    standin: Standin,
    workdir: Path,
    ref: str,
    build_branches: str,
    counted: bool,
) -> None:
    event = push_to(ref)
    run = run_for("push/with-new-branch.payload.json", event)
    given = credentials(standin) | {"event-type": "build", "build-branches": build_branches}
    result = in_process(run, given, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(builds(standin)) == int(counted)
    if not counted:
        assert result.outputs["status"] == "skipped"
        assert "build-branches" in result.stdout and "build-branches" in result.summary


def test_an_observed_run_of_a_feature_branch_sends_no_build_and_says_why(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    run = workflow_run(REPO, RUN_ID, head_sha=SHA, head_branch="TES-123-test-ref")
    github.add_run(REPO, run, [job(REPO, RUN_ID, 53_200_000_001, "build", head_sha=SHA)])
    result = observe(in_process, standin, github, tmp_path, run)
    assert builds(standin) == {}
    assert result.outputs["status"] == "skipped"
    assert "builds of the branch TES-123-test-ref are not reported" in result.stdout


# -- history complete: GitHub deployments that no job made ---------------------------------------

_NOW = time.time()


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def external_history(github: GitHubStandin) -> None:
    """Deployments a hosting service and Argo CD announced to GitHub, no job of this
    repository's workflows among them; one job's deployment; one before the window."""
    vercel = "https://vercel.com/acme/shop/Fq3"
    cases: list[tuple[int, str, list[str], float, str]] = [
        # (id, environment, states oldest first, created seconds ago, link)
        (2_000_001, "Production", ["pending", "success"], 86_400 * 3, vercel),
        (2_000_002, "Production", ["pending", "success", "inactive"], 86_400 * 2, vercel),
        (2_000_003, "customer-portal", ["in_progress", "failure"], 86_400, ""),
        (2_000_004, "Preview – acme-shop-git-feature", ["success"], 3_600, vercel),
        (2_000_005, "staging", [], 1_800, ""),  # announced, no status yet
        (2_000_006, "Production", ["success"], 86_400 * 100, vercel),  # before the window
    ]
    for deployment_id, environment, states, ago, link in cases:
        created = _NOW - ago
        github.add_deployment(
            REPO,
            deployment(REPO, deployment_id, environment, created=created),
            [
                deployment_status(
                    REPO,
                    deployment_id,
                    deployment_id * 10 + index,
                    state,
                    log_url=link,
                    environment=environment,
                    created=created + 60 * (index + 1),
                )
                for index, state in enumerate(states)
            ],
        )
    # A deploy job's deployment: its statuses link to the job's log; its job reports it.
    job_log = f"https://github.com/{REPO}/actions/runs/{RUN_ID}/job/53300000001"
    github.add_deployment(
        REPO,
        deployment(REPO, 2_000_007, "production", created=_NOW - 600),
        [deployment_status(REPO, 2_000_007, 1, "success", log_url=job_log, created=_NOW - 500)],
    )


def test_a_reconcile_sends_the_deployments_an_external_tool_made(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    external_history(github)
    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {
        "github-token": GITHUB_TOKEN,
        "reconcile": "30d",
        "environment-categories": "{customer-portal: PRODUCTION, 'preview*': DEVELOPMENT}",
    }
    result = in_process(reconciler, given, tmp_path, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    stored = {
        event["deploymentProperties"]["sequenceNumber"]: event["deploymentProperties"]
        for event in standin.events()
    }
    # The state of the last status before inactive; the category by the name or the mapping.
    assert {
        key: (props["state"], props["environment"]["category"]) for key, props in stored.items()
    } == {
        2_000_001: ("SUCCESSFUL", "PRODUCTION"),
        2_000_002: ("SUCCESSFUL", "PRODUCTION"),
        2_000_003: ("FAILED", "PRODUCTION"),
        2_000_004: ("SUCCESSFUL", "DEVELOPMENT"),
    }
    assert stored[2_000_001]["pipeline"]["pipelineId"] == f"{REPO}/deployments/2000001"
    assert stored[2_000_001]["pipeline"]["url"] == "https://vercel.com/acme/shop/Fq3"
    assert "GitHub deployment without a status or an environment | 1 |" in result.summary
    assert_contract(standin)


def test_a_reconciled_github_deployment_is_the_one_its_deployment_status_run_sends(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # GitHub's deployment_status example, moved into the window: the live mirror's send.
    created, status_at = _NOW - 7_200, _NOW - 7_000
    event = payload("deployment_status/payload.json")
    event["deployment"] |= {"created_at": _iso(created), "updated_at": _iso(created)}
    event["deployment_status"] |= {"created_at": _iso(status_at), "updated_at": _iso(status_at)}
    live = run_for("deployment_status/payload.json", event)
    result = in_process(live, credentials(standin), tmp_path / "live")
    assert result.exit_code == 0, result.stdout + result.stderr
    [sent_live] = standin.events()

    found = event["deployment"]
    status = event["deployment_status"]
    github.add_deployment(
        REPO,
        deployment(REPO, found["id"], found["environment"], created=created),
        [
            deployment_status(
                REPO,
                found["id"],
                status["id"],
                status["state"],
                log_url=status.get("log_url") or status["target_url"],
                environment=found["environment"],
                created=status_at,
            )
        ],
    )
    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "1d"}
    result = in_process(reconciler, given, tmp_path / "reconcile", {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    # The same key and number: Compass drops the reconciled copy as a repeat.
    assert standin.events() == [sent_live]
    assert standin.state.dropped == 1


def test_a_reconcile_without_a_timeout_runs_on_a_long_budget_of_its_own(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # 60 runs of two jobs: 60 run builds and 60 deployments, 120 events: the 101st waits for
    # the minute of Compass's 100 requests to pass, past a step's 60 s, inside five hours.
    add_history(github, REPO, 60, 20, time.time())
    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "30d"}
    # A step's 60 s is not enough for them: the first reconcile stops early.
    short = in_process(
        reconciler, given | {"timeout": "60"}, tmp_path / "short", {"GITHUB_API_URL": github.url}
    )
    assert re.search(r"Not delivered \(run the reconcile again to resume\) \| [1-9]", short.summary)
    result = in_process(reconciler, given, tmp_path / "long", {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "a budget of 18000 s (the default for a reconcile)" in result.stdout
    assert "| Events sent | 120 |" in result.summary
    assert "Stopped early" not in result.summary
    assert standin.metrics().build_count == 60


def test_an_observer_maps_each_environment_of_a_run_by_environment_categories(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # One run deploys to staging and to customer-portal: one category for both would be wrong.
    jobs = [
        job(REPO, RUN_ID, 53_400_000_001, "deploy-staging", head_sha=SHA),
        job(REPO, RUN_ID, 53_400_000_002, "deploy-portal", head_sha=SHA),
    ]
    run = workflow_run(REPO, RUN_ID, head_sha=SHA, started=STARTED)
    github.add_run(REPO, run, jobs)
    for index, environment in enumerate(["staging", "customer-portal"]):
        log = f"https://github.com/{REPO}/actions/runs/{RUN_ID}/job/{jobs[index]['id']}"
        github.add_deployment(
            REPO,
            deployment(REPO, 2_100_000 + index, environment, sha=SHA),
            [deployment_status(REPO, 2_100_000 + index, 1, "success", log_url=log)],
        )
    mapping = "customer-portal: PRODUCTION\n'preview-*': DEVELOPMENT"
    result = observe(
        in_process, standin, github, tmp_path, run, **{"environment-categories": mapping}
    )

    categories = {
        event["deploymentProperties"]["environment"]["environmentId"]: event[
            "deploymentProperties"
        ]["environment"]["category"]
        for event in standin.events()
        if "deploymentProperties" in event
    }
    assert categories == {"staging": "STAGING", "customer-portal": "PRODUCTION"}
    assert "because of the name 'customer-portal' in environment-categories" in result.stdout
    assert_contract(standin)


def test_a_reconcile_counts_the_default_branchs_runs_and_those_that_could_not_start(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    started = time.time() - 86_400
    cases = [
        # (run id, branch, conclusion, jobs)
        (RUN_ID, "main", "success", [job(REPO, RUN_ID, 53_500_000_001, "build", head_sha=SHA)]),
        (RUN_ID + 1, "main", "startup_failure", []),  # a broken workflow file: no jobs
        (RUN_ID + 2, "TES-123-test-ref", "failure", []),  # a feature branch's failed run
    ]
    for index, (run_id, branch, conclusion, jobs) in enumerate(cases):
        found = workflow_run(
            REPO,
            run_id,
            conclusion=conclusion,
            head_sha=SHA,
            head_branch=branch,
            started=started + index * 600,
        )
        github.add_run(REPO, found, jobs)
    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "7d"}
    result = in_process(reconciler, given, tmp_path, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    assert builds(standin) == {
        f"{REPO}/runs/{RUN_ID}/attempts/1": "SUCCESSFUL",
        f"{REPO}/runs/{RUN_ID + 1}/attempts/1": "FAILED",
    }
    assert "Skipped: build of another branch than the default (build-branches) | 1 |" in (
        result.summary
    )
    assert_contract(standin)


def test_an_observer_and_a_reconcile_key_a_run_the_same_way(
    in_process: InProcess, standin: Standin, github: GitHubStandin, tmp_path: Path
) -> None:
    # A run of an hour ago, inside the window of the nightly reconcile that reads it again.
    first = add_attempt(github, 1, failed="test", started=time.time() - 3_600)
    observe(in_process, standin, github, tmp_path / "observer", first)
    observed = builds(standin)

    reconciler = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "1d"}
    result = in_process(reconciler, given, tmp_path / "reconcile", {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "| Events sent | 1 |" in result.summary
    assert builds(standin) == observed == {f"{REPO}/runs/{RUN_ID}/attempts/1": "FAILED"}
    assert standin.state.dropped == 1  # the same key: the reconciled copy is a repeat
