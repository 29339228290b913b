"""Issue 21: the time of a step's metric values is its workflow run's, so a re-run does not add
a point at a new time (compass_action/extras/run_time.py).

Against the Compass stand-in (its metrics endpoint checks every body against the published
schema) and the GitHub stand-in, whose "Get a workflow run" answers as GitHub's REST description
shapes it: ``created_at`` is the run's, ``run_started_at`` the latest attempt's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tools.action_runner import Run, StepResult
from tools.compass_contract import METRICS_OPENAPI, schema_errors
from tools.compass_standin import Standin
from tools.github_standin import GitHubStandin, Played, workflow_run

from .conftest import credentials
from .inprocess import InProcess

GITHUB_TOKEN = "ghs_Metr1csRunT1me0000000000000000000000"
REPO = "acme/shop"
RUN_ID = 19_500_000_001
CREATED = 1_763_800_000.0  # 2025-11-22T08:26:40Z
CREATED_TEXT = "2025-11-22T08:26:40.000Z"
RUN_PATH = f"/repos/{REPO}/actions/runs/{RUN_ID}"
BY_DEFINITION = "InsertMetricByMetricDefinitionRequestDto"
NOTICE = "::notice title=Compass metric values::"


def push(attempt: int = 1) -> Run:
    return Run(
        event_name="push",
        ref="refs/heads/main",
        repository=REPO,
        run_id=RUN_ID,
        run_attempt=attempt,
    )


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN) as standin:
        standin.add_run(REPO, workflow_run(REPO, RUN_ID, started=CREATED), [])
        yield standin


def step(server: Standin, token: str = GITHUB_TOKEN, **extra: str) -> dict[str, str]:
    given = {"event-type": "build", "state": "successful", "github-token": token}
    return credentials(server) | given | {"metrics": "Code coverage: 85.5\nTests: 120"} | extra


def timestamps(server: Standin) -> list[str]:
    """The timestamp of every metrics body the stand-in took, each checked against the schema."""
    found = []
    for item in server.received():
        body = json.loads(item.body) if item.body.startswith("{") else {}
        if "metricDefinitionId" in body:
            assert schema_errors(body, BY_DEFINITION, METRICS_OPENAPI) == []
            found.append(str(body["timestamp"]))
    return found


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def test_a_first_attempt_and_a_rerun_send_the_runs_creation_time(
    standin: Standin, github: GitHubStandin, in_process: InProcess, tmp_path: Path
) -> None:
    env = {"GITHUB_API_URL": github.url}
    first = in_process(push(1), step(standin), tmp_path / "first", env)
    assert first.exit_code == 0, printed(first)
    sent_first = timestamps(standin)
    # A re-run: attempt 2 of the same run, later; GitHub now answers the latest attempt, whose
    # run_started_at is its own while created_at stays the run's.
    github.add_run(REPO, workflow_run(REPO, RUN_ID, attempt=2, started=CREATED), [])
    rerun = github.state.runs[(REPO, RUN_ID)]
    rerun["run_started_at"] = "2025-11-23T10:00:00Z"
    second = in_process(push(2), step(standin), tmp_path / "second", env)

    assert second.exit_code == 0, printed(second)
    sent = timestamps(standin)
    assert len(sent_first) == 4 and len(sent) == 6  # 404, resend, for 2 values; then 2 sends
    assert set(sent) == {CREATED_TEXT}
    assert datetime.fromisoformat(sent[0]) == datetime.fromisoformat(rerun["created_at"])
    assert "the run's time, the first attempt's, not at a new one" in second.stdout
    assert NOTICE not in printed(first) + printed(second)
    # One request to GitHub per step, with the token, for the run itself.
    assert [path for path, _ in github.requests] == [RUN_PATH, RUN_PATH]
    assert {auth for _, auth in github.requests} == {f"Bearer {GITHUB_TOKEN}"}
    lines = (printed(first) + printed(second)).splitlines()
    assert not [line for line in lines if GITHUB_TOKEN in line and "add-mask" not in line]


def test_without_a_token_the_values_carry_the_steps_time_with_a_notice(
    standin: Standin, github: GitHubStandin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(push(), step(standin, token=""), workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, printed(result)
    sent = timestamps(standin)
    assert len(sent) == 4 and len(set(sent)) == 1 and sent[0] != CREATED_TEXT
    notices = [line for line in result.stdout.splitlines() if line.startswith(NOTICE)]
    assert len(notices) == 1
    assert "github-token is empty" in notices[0]
    assert "re-run of this workflow will add another point" in notices[0]
    assert sent[0] in notices[0]  # the step's time, as sent
    assert github.requests == []


@pytest.mark.parametrize(
    ("status", "said"),
    [(404, "HTTP 404"), (500, "stayed unavailable"), (401, "not a valid token")],
)
def test_when_github_fails_the_values_are_still_sent_at_the_steps_time(
    standin: Standin,
    github: GitHubStandin,
    in_process: InProcess,
    workdir: Path,
    status: int,
    said: str,
) -> None:
    token = "ghs_wrong" if status == 401 else GITHUB_TOKEN
    if status != 401:
        answer = Played(b'{"message":"Not Found"}' if status == 404 else b"{}", status=status)
        github.play(RUN_PATH, lambda _query, _url: answer)
    result = in_process(push(), step(standin, token=token), workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, printed(result)
    sent = timestamps(standin)
    assert len(sent) == 4 and len(set(sent)) == 1 and sent[0] != CREATED_TEXT
    notices = [line for line in result.stdout.splitlines() if line.startswith(NOTICE)]
    assert len(notices) == 1 and said in notices[0], result.stdout
    assert "re-run of this workflow will add another point" in notices[0]
    assert json.loads(result.outputs["metrics"])[0]["delivered"] is True
    if status != 500:  # a 500 is retried within the short part of the budget
        assert len(github.requests) == 1


def test_a_creation_time_after_the_step_started_is_not_taken(
    standin: Standin, github: GitHubStandin, in_process: InProcess, workdir: Path
) -> None:
    github.add_run(REPO, workflow_run(REPO, RUN_ID, started=4_102_444_800.0), [])  # 2100
    result = in_process(push(), step(standin), workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, printed(result)
    sent = timestamps(standin)
    assert len(set(sent)) == 1 and not sent[0].startswith("2100")
    assert "after this step started" in result.stdout


def test_no_request_for_uploads_only_nor_for_a_dry_run(
    standin: Standin, github: GitHubStandin, in_process: InProcess, workdir: Path
) -> None:
    env = {"GITHUB_API_URL": github.url}
    dry = in_process(push(), step(standin, **{"dry-run": "true"}), workdir, env)

    assert dry.exit_code == 0, printed(dry)
    assert "read from GitHub's API (the same for every attempt of the run)" in dry.stdout
    assert github.requests == [] and timestamps(standin) == []
    spec = "openapi: 3.1.0\ninfo:\n  title: Shop API\n  version: 1.2.3\npaths: {}\n"
    (workdir / "openapi.yaml").write_text(spec, encoding="utf-8")
    given = credentials(standin) | {"github-token": GITHUB_TOKEN, "event-type": "none"}
    given |= {"api-spec": "openapi.yaml"}
    uploads = in_process(push(), given, workdir, env)

    assert uploads.exit_code == 0, printed(uploads)
    assert len(standin.state.uploads) == 1
    assert github.requests == [] and NOTICE not in uploads.stdout


@pytest.mark.parametrize(
    ("created_at", "said"),
    [
        (None, "holds no created_at"),
        ("10000-01-01T00:00:00Z", "not as documented (created_at)"),
        ("yesterday", "not as documented (created_at)"),
    ],
)
def test_a_creation_time_github_cannot_have_meant_is_not_taken(
    standin: Standin,
    github: GitHubStandin,
    in_process: InProcess,
    workdir: Path,
    created_at: str | None,
    said: str,
) -> None:
    github.state.runs[(REPO, RUN_ID)]["created_at"] = created_at
    result = in_process(push(), step(standin), workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, printed(result)
    sent = timestamps(standin)
    assert len(sent) == 4 and len(set(sent)) == 1 and sent[0] != CREATED_TEXT
    notices = [line for line in result.stdout.splitlines() if line.startswith(NOTICE)]
    assert len(notices) == 1 and said in notices[0], result.stdout


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"GITHUB_API_URL": "http://127.0.0.1:1"}, "could not be reached"),
        ({"GITHUB_RUN_ID": ""}, "GITHUB_REPOSITORY or GITHUB_RUN_ID is not set"),
    ],
)
def test_without_the_run_or_github_the_values_carry_the_steps_time(
    standin: Standin, in_process: InProcess, workdir: Path, env: dict[str, str], said: str
) -> None:
    # event-type none: a build event cannot be keyed without GITHUB_RUN_ID, metric values can
    result = in_process(push(), step(standin, **{"event-type": "none", "state": ""}), workdir, env)

    assert result.exit_code == 0, printed(result)
    assert len(timestamps(standin)) == 4
    notices = [line for line in result.stdout.splitlines() if line.startswith(NOTICE)]
    assert len(notices) == 1 and said in notices[0], result.stdout
