"""Reconcile a window, in process against both stand-ins (tools/compass_standin.py and
tools/github_standin.py), on the in-process runner's skipping clock.

Each run of the history has a ``build`` job and a ``deploy`` job that deployed to production
(GitHub's deployment for it links its statuses to the job's log, as GitHub does); every fourth
deploy failed. The truth is computed here from that history, and compared with what the Compass
stand-in would chart (``Standin.metrics``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compass_action import reconcile as reconcile_module
from compass_action.reconcile import CURSOR_FILE
from tools import github_standin
from tools.action_runner import Run, SkippedWaits, StepResult, run_step
from tools.compass_contract import contract_errors
from tools.compass_standin import Metrics, RateLimit, Standin
from tools.github_standin import (
    GitHubStandin,
    add_history,
    deployment,
    deployment_status,
    history_failed,
    history_ids,
    job,
    release,
    workflow_run,
)

from .conftest import EMAIL, TOKEN, credentials
from .inprocess import InProcess

GITHUB_TOKEN = "ghs_Rec0ncile7oken4Acti0nsRead00000000000"
REPO = "acme/shop"


def history(github: GitHubStandin, count: int, days: float) -> None:
    add_history(github, REPO, count, days, time.time())


def truth(count: int) -> Metrics:
    """Every job is a build (observe.py's rule); every deploy job also a deployment."""
    failed = sum(history_failed(index) for index in range(count))
    return Metrics(count, failed / count, 2 * count, (2 * count - failed) / (2 * count))


def live_sends(in_process: InProcess, site: Standin, workdir: Path, index: int) -> None:
    """What the jobs of run ``index`` send live: each a build, the deploy job also a
    deployment to production."""
    run_id, build_id, deploy_id, _, sha = history_ids(index)
    for name, check_run, with_ in (
        ("build", build_id, {"event-type": "build"}),
        ("deploy", deploy_id, {"event-type": "build"}),
        ("deploy", deploy_id, {"environment": "production"}),
    ):
        failed = name == "deploy" and history_failed(index)
        run = Run(
            run_id=run_id,
            job=name,
            check_run_id=check_run,
            sha=sha,
            job_status="failure" if failed else "success",
        )
        given = credentials(site) | with_ | {"timeout": "5", "fail-on": "never"}
        in_process(run, given, workdir)


def reconcile(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path, **with_: str
) -> StepResult:
    run = Run(
        event_name="schedule",
        event={"schedule": "17 5 * * *"},
        run_id=19_799_999_999,
        job="reconcile",
        workflow="Reconcile Compass",
    )
    # The job unit unless a test says otherwise: the history's live steps are in every job.
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "90d"}
    given |= {"build-unit": "job"} | with_
    return in_process(run, given, workdir, {"GITHUB_API_URL": github.url})


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN) as standin:
        yield standin


def test_a_reconcile_after_an_outage_fills_in_what_was_lost_and_counts_nothing_twice(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 10, days=10)
    with Standin(EMAIL, TOKEN) as gone:
        pass  # its port is closed: Compass is out for the runs below
    for index in range(10):
        live_sends(in_process, gone if index in (2, 5, 8) else standin, workdir, index)
    assert standin.metrics().deployment_count == 7

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert standin.metrics() == truth(10)
    # Every key once: 20 builds and 10 deployments; the 21 events sent live again were dropped.
    assert len(standin.events()) == 30
    assert standin.state.dropped == 21
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []
    printed = [line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")]
    assert GITHUB_TOKEN not in "\n".join(printed) + result.summary


def test_a_reconcile_right_after_complete_live_sends_changes_nothing(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 6, days=3)
    for index in range(6):
        live_sends(in_process, standin, workdir, index)
    before = {json.dumps(event, sort_keys=True) for event in standin.events()}

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout
    assert "Events sent | 18 |" in result.summary
    assert {json.dumps(event, sort_keys=True) for event in standin.events()} == before
    assert standin.state.dropped == 18


def test_filters_leave_out_other_branches_workflows_and_environments(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 4, days=3)
    result = reconcile(in_process, standin, github, workdir, branches="release", workflows="CI")
    assert result.exit_code == 0, result.stdout
    assert standin.events() == []
    assert "Skipped: branch not in the branches input | 4 |" in result.summary

    reconcile(in_process, standin, github, workdir, environments="staging")
    assert standin.metrics() == Metrics(0, 0.0, 8, 7 / 8)


@pytest.mark.slow
def test_a_history_import_of_90_days_keeps_under_the_rate_limit(
    in_process: InProcess, github: GitHubStandin, workdir: Path
) -> None:
    limit = RateLimit(clock=in_process.waits.monotonic)
    # 80 runs, 240 events: over twice the 100 a minute, so the pacer holds the import back
    # through two minutes, and every week of the 90 days has runs in the chart (200 runs
    # proved no more and cost 1.5 s of CPU more; 120 runs, 0.4 s more).
    runs = 80
    history(github, runs, days=90)
    with Standin(EMAIL, TOKEN, rate_limit=limit) as standin:
        started = in_process.waits.monotonic()
        result = reconcile(in_process, standin, github, workdir, timeout="3600")
        took = in_process.waits.monotonic() - started

        assert result.exit_code == 0, result.stdout
        assert limit.refused == 0
        assert standin.metrics() == truth(runs)
    # 360 events at 100 a minute take at least 0.6 s each past the first 100, which go at once.
    assert took >= (3 * runs - 100) * 0.6
    assert "```mermaid" in result.summary and "xychart-beta" in result.summary
    weeks = re.search(r"bar \[([\d, ]+)\]", result.summary)
    assert weeks is not None and sum(int(n) for n in weeks.group(1).split(",")) == runs
    failures = re.search(r"line \[([\d, ]+)\]", result.summary)
    assert failures is not None
    assert sum(int(n) for n in failures.group(1).split(",")) == sum(
        map(history_failed, range(runs))
    )


@pytest.mark.slow
def test_a_reconcile_cut_short_resumes_where_it_stopped(
    in_process: InProcess, github: GitHubStandin, workdir: Path
) -> None:
    # Time moves only by the waits: the budget is spent by the pacer's minute, not by how long
    # the sends take on a loaded machine, and the stand-in's window sees each request at the
    # moment the pacer let it go, so where the reconcile stops is the same on every run.
    in_process.waits = SkippedWaits(real_time=False)
    limit = RateLimit(clock=in_process.waits.monotonic)
    # 60 runs, 180 events: past the 100 that a minute allows, so a 60 s budget still ends
    # mid-way, with runs done and runs left (100 runs proved no more, at 0.5 s of CPU more).
    runs = 60
    history(github, runs, days=30)
    with Standin(EMAIL, TOKEN, rate_limit=limit) as standin:
        first = reconcile(in_process, standin, github, workdir, timeout="60")
        assert "run the reconcile again to resume" in first.stdout
        cursor = json.loads(next(workdir.rglob(CURSOR_FILE)).read_text())
        done = len(cursor["done"])
        assert 0 < done < runs
        accepted_first = _accepted(standin)

        second = reconcile(in_process, standin, github, workdir, timeout="3600")

        assert second.exit_code == 0, second.stdout
        assert f"Runs already current (sent by an earlier reconcile) | {done} |" in second.summary
        assert standin.metrics() == truth(runs)
        # The runs done were not sent again: exactly the rest were accepted (3 events a run; a
        # run cut off mid-way is sent whole). The second run's pacer starts with no knowledge of
        # the first's minute, so some sends meet 429s and are retried: those are not counted.
        assert _accepted(standin) - accepted_first == 3 * (runs - done)


def _accepted(standin: Standin) -> int:
    return sum(item.status == 202 for item in standin.received())


def test_a_wrong_window_is_named_before_any_request(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    result = reconcile(in_process, standin, github, workdir, reconcile="2w")
    assert result.exit_code == 1
    assert "::error title=Input reconcile::" in result.stdout
    assert "7d, 90d or 12h" in result.stdout
    assert github.requests == [] and standin.bodies() == []
    result = reconcile(in_process, standin, github, workdir, **{"github-token": ""})
    assert "::error title=Input github-token::is empty; reconcile reads" in result.stdout
    result = reconcile(in_process, standin, github, workdir, **{"dry-run": "true"})
    assert "::error title=Input dry-run::must be false with reconcile" in result.stdout
    assert github.requests == [] and standin.bodies() == []


def _deployment_keys(server: Standin) -> list[tuple[str, str, int]]:
    return [
        (
            props["pipeline"]["pipelineId"],
            props["environment"]["environmentId"],
            props["sequenceNumber"],
        )
        for props in (event.get("deploymentProperties") for event in server.events())
        if props is not None
    ]


def test_a_release_runs_deployment_gets_the_release_key_a_live_step_used(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    run_id, job_id, deployment_id, release_id = 19_700_500_001, 52_100_000_001, 1_500_001, 9_876_543
    sha, tag, started = "c" * 40, "v2.4.0", time.time() - 7200
    deploy = job(REPO, run_id, job_id, "deploy", started=started, completed=started + 60)
    github.add_run(
        REPO,
        workflow_run(REPO, run_id, event="release", head_branch=tag, head_sha=sha, started=started),
        [deploy],
    )
    log = f"https://github.com/{REPO}/actions/runs/{run_id}/job/{job_id}"
    github.add_deployment(
        REPO,
        deployment(REPO, deployment_id, "production", sha=sha),
        [deployment_status(REPO, deployment_id, 1, "success", log_url=log)],
    )
    github.add_release(REPO, release(REPO, release_id, tag))
    event = {"action": "published", "release": release(REPO, release_id, tag)}
    live_run = Run(
        event_name="release",
        event=event,
        run_id=run_id,
        job="deploy",
        check_run_id=job_id,
        sha=sha,
        ref=f"refs/tags/{tag}",
    )
    with Standin(EMAIL, TOKEN) as live:
        in_process(live_run, credentials(live) | {"environment": "production"}, workdir)
        [live_key] = _deployment_keys(live)

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout
    assert _deployment_keys(standin) == [live_key]
    assert live_key[0] == f"{REPO}/releases/{release_id}/attempts/1"


def test_a_window_of_more_runs_than_github_lists_at_once_is_asked_in_parts(
    in_process: InProcess,
    standin: Standin,
    github: GitHubStandin,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GitHub's cap of 1,000 runs a dated query, made 10 on both sides.
    monkeypatch.setattr(github_standin, "RUNS_SEARCH_CAP", 10)
    monkeypatch.setattr(reconcile_module, "RUNS_SEARCH_CAP", 10)
    history(github, 40, days=3)
    result = reconcile(in_process, standin, github, workdir, timeout="600")
    assert result.exit_code == 0, result.stdout
    assert standin.metrics() == truth(40)
    assert "::warning" not in result.stdout


def test_githubs_hourly_limit_stops_a_reconcile_that_then_resumes(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 20, days=5)
    github.state.budget = 32  # the repository, the list, then 3 requests a run: 10 runs
    # A budget shorter than the hour to the reset: the reconcile stops instead of waiting (with
    # its own five-hour default it would wait for the reset, which this stand-in never gives).
    first = reconcile(in_process, standin, github, workdir, **{"fail-on": "any", "timeout": "60"})
    assert first.exit_code == 1
    assert "GitHub&#39;s API" in first.stdout or "GitHub's API" in first.stdout
    assert "run the reconcile again to resume" in first.stdout
    assert standin.metrics().deployment_count == 10

    github.state.budget = None  # the hour has turned
    second = reconcile(in_process, standin, github, workdir)
    assert second.exit_code == 0, second.stdout
    assert "Runs already current (sent by an earlier reconcile) | 10 |" in second.summary
    assert standin.metrics() == truth(20)


def test_a_reconcile_as_the_runner_runs_it_in_its_own_process(
    standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    # One subprocess run: the entrypoint and action.yml's inputs as the runner passes them; the
    # in-process tests above cover the rules.
    history(github, 2, days=2)
    run = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "reconcile": "7d"}
    given["build-unit"] = "job"
    result = run_step(run, given, workdir, {"GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert standin.metrics() == truth(2)
    assert "| Events sent | 6 |" in result.summary


def test_every_attempt_of_a_re_run_is_its_own_deployment(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    run_id, sha, started = 19_700_600_001, "d" * 40, time.time() - 7200
    for attempt, conclusion, job_id, deployment_id in (
        (1, "failure", 52_200_000_001, 1_600_001),
        (2, "success", 52_200_000_002, 1_600_002),
    ):
        at = started + attempt * 600
        deploy = job(
            REPO,
            run_id,
            job_id,
            "deploy",
            attempt=attempt,
            conclusion=conclusion,
            started=at,
            completed=at + 60,
        )
        run = workflow_run(REPO, run_id, attempt=attempt, head_sha=sha, started=started)
        # GitHub's record of a lint job, ended before it started (a clock that stepped back).
        backwards = job(REPO, run_id, job_id + 10, "lint", started=at + 30, completed=at)
        github.add_run(REPO, run, [deploy, backwards])
        log = f"https://github.com/{REPO}/actions/runs/{run_id}/job/{job_id}"
        github.add_deployment(
            REPO,
            deployment(REPO, deployment_id, "production", sha=sha),
            [deployment_status(REPO, deployment_id, 1, conclusion, log_url=log)],
        )

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout
    assert sorted(_deployment_keys(standin)) == [
        (f"{REPO}/runs/{run_id}/attempts/1/jobs/52200000001", "production", run_id * 1000 + 1),
        (f"{REPO}/runs/{run_id}/attempts/2/jobs/52200000002", "production", run_id * 1000 + 2),
    ]
    assert standin.metrics().change_failure_rate == 0.5
    # A job whose times GitHub recorded backwards (ended before it started) is skipped, not
    # the end of the reconcile.
    reason = "job GitHub recorded backwards (completed before it started)"
    assert f"| Skipped: {reason} | 2 |" in result.summary
    # The commit's deployments were asked once for both attempts.
    asked = [
        path for path, _ in github.requests if path.startswith(f"/repos/{REPO}/deployments?sha")
    ]
    assert len(asked) == 1


def test_a_reconcile_with_vulnerabilities_mirrors_the_alerts_a_token_can_read(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 2, days=1)
    github_standin.set_alerts(
        github,
        REPO,
        "code-scanning",
        [
            github_standin.code_scanning_alert(REPO, 1),
            github_standin.code_scanning_alert(REPO, 2, state="fixed", changed=1_763_100_000.0),
        ],
    )
    github_standin.deny_alerts(github, REPO, "dependabot")  # the job's token never reads these

    result = reconcile(
        in_process, standin, github, workdir, vulnerabilities="code-scanning, dependabot"
    )

    assert result.exit_code == 0, result.stdout + result.stderr
    vulnerabilities = [event for event in standin.events() if "vulnerabilityProperties" in event]
    states = sorted(event["vulnerabilityProperties"]["state"] for event in vulnerabilities)
    assert states == ["OPEN", "REMEDIATED"]
    assert "::notice title=vulnerabilities::" in result.stdout
    # The runs' builds and deployments were reconciled as well: 2 runs x (2 builds + 1 deploy).
    assert len(standin.events()) == 2 * 3 + 2
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []


def test_vulnerabilities_without_reconcile_is_one_input_problem(
    in_process: InProcess, standin: Standin, workdir: Path
) -> None:
    given = credentials(standin) | {"vulnerabilities": "code-scanning"}
    result = in_process(Run(), given, workdir)

    assert result.exit_code == 1
    assert "::error title=Input vulnerabilities::applies only with reconcile" in result.stdout
    assert standin.bodies() == []


def test_a_reconcile_ends_a_job_whose_runner_died_after_in_progress(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    # Run 0's jobs sent IN_PROGRESS live (track-job's main step, say), then the runner died:
    # no final state reached Compass. Run 1 ended normally.
    history(github, 2, days=1)
    run_id, build_id, deploy_id, _, sha = history_ids(0)
    for name, check_run, with_ in (
        ("build", build_id, {"event-type": "build"}),
        ("deploy", deploy_id, {"event-type": "build"}),
        ("deploy", deploy_id, {"environment": "production"}),
    ):
        run = Run(run_id=run_id, job=name, check_run_id=check_run, sha=sha)
        in_process(run, credentials(standin) | with_ | {"state": "in_progress"}, workdir)
    live_sends(in_process, standin, workdir, 1)
    assert standin.metrics().deployment_count == 1  # an IN_PROGRESS deployment is not counted

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert standin.metrics() == truth(2)
    states = {
        event.get("deploymentProperties", event.get("buildProperties", {})).get("state")
        for event in standin.events()
    }
    assert "IN_PROGRESS" not in states
