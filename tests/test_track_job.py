"""track-job: IN_PROGRESS in the step, the final state from job.status in the post step.

The post step runs as the runner runs it (tools.action_runner.run_post_in_process): post-if in
the job's env, the inputs evaluated again (job.status final), the main step's state as STATE_*.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.action_runner import REPO, Run, run_post_step, run_step, step_env
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin

from .conftest import credentials
from .inprocess import InProcess


def _sent(standin: Standin) -> list[dict[str, object]]:
    return [json.loads(body) for body in standin.bodies()]


@pytest.mark.parametrize(
    ("job_status", "final"),
    [("success", "SUCCESSFUL"), ("failure", "FAILED"), ("cancelled", "CANCELLED")],
)
def test_one_line_reports_the_start_and_the_job_status_at_the_end(
    standin: Standin,
    in_process: InProcess,
    workdir: Path,
    job_status: str,
    final: str,
) -> None:
    with_ = credentials(standin) | {"track-job": "true", "environment": "production"}
    main = in_process(Run(job_status="success"), with_, workdir)
    assert main.exit_code == 0, main.stdout + main.stderr
    assert main.outputs["state"] == "IN_PROGRESS"

    # The job then fails or is cancelled; the runner evaluates the inputs again for the post.
    post = in_process.post(Run(job_status=job_status), with_, workdir, main)
    assert post is not None and post.exit_code == 0, post and post.stdout + post.stderr

    first, last = (body["event"]["deployment"] for body in _sent(standin))  # type: ignore[index]
    assert first["deploymentProperties"]["state"] == "IN_PROGRESS"
    assert last["deploymentProperties"]["state"] == final
    # The same deployment: same keys, the first send's start, a larger update number.
    for key in ("pipeline", "environment", "sequenceNumber"):
        assert first["deploymentProperties"][key] == last["deploymentProperties"][key]
    assert first["externalEventSourceId"] == last["externalEventSourceId"]
    assert last["deploymentProperties"]["startedAt"] == first["deploymentProperties"]["startedAt"]
    assert last["updateSequenceNumber"] > first["updateSequenceNumber"]
    [stored] = standin.events()
    assert stored["deploymentProperties"]["state"] == final
    assert all(contract_errors(body) == [] for body in _sent(standin))


def test_main_and_post_as_processes_as_the_runner_starts_them(
    standin: Standin, workdir: Path
) -> None:
    with_ = credentials(standin) | {"track-job": "true", "environment": "production"}
    main = run_step(Run(), with_, workdir)
    assert main.exit_code == 0, main.stdout + main.stderr
    assert main.saved_state == {"TRACKING": "true"}
    assert main.exported_env == {"COMPASS_ACTION_TRACKING": "true"}
    post = run_post_step(Run(job_status="failure"), with_, workdir, main)
    assert post is not None and post.exit_code == 0, post and post.stdout + post.stderr
    assert [event["deploymentProperties"]["state"] for event in standin.events()] == ["FAILED"]
    assert len(standin.bodies()) == 2


def test_a_build_gets_its_duration(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {"track-job": "true", "event-type": "build"}
    main = in_process(Run(), with_, workdir)
    in_process.waits.sleep(95.0)  # the job's work, on the skipping clock
    post = in_process.post(Run(), with_, workdir, main)
    assert post is not None and post.exit_code == 0
    [stored] = standin.events()
    props = stored["buildProperties"]
    assert props["state"] == "SUCCESSFUL"
    assert props["startedAt"] < props["completedAt"]


def test_without_track_job_the_post_step_is_skipped(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {"environment": "production"}
    main = in_process(Run(), with_, workdir)
    assert main.exit_code == 0
    assert main.exported_env == {} and main.saved_state == {}
    # post-if is false: the runner starts no container for it.
    assert in_process.post(Run(job_status="failure"), with_, workdir, main) is None
    assert len(standin.bodies()) == 1


def test_a_use_without_track_job_beside_one_with_it_sends_nothing_in_post(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    tracked_with = credentials(standin) | {"track-job": "true", "environment": "production"}
    tracked = in_process(Run(), tracked_with, workdir)
    plain_with = credentials(standin) | {"event-type": "build"}
    plain = in_process(Run(), plain_with, workdir, tracked.exported_env)
    # Its post-if is true (the job's env has the variable), but it saved no state of its own.
    plain_post = dataclasses.replace(plain, exported_env=tracked.exported_env)
    result = in_process.post(Run(), plain_with, workdir, plain_post)
    assert result is not None and result.exit_code == 0
    assert result.stdout == "" and len(standin.bodies()) == 2


def test_track_job_refuses_a_state(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {"track-job": "true", "state": "success"}
    result = in_process(Run(), with_, workdir)
    assert result.exit_code == 1
    assert "must be empty with track-job" in result.stdout
    assert result.saved_state == {} and standin.bodies() == []


def test_the_post_entrypoint_ends_before_python_starts_when_nothing_was_tracked(
    tmp_path: Path,
) -> None:
    # The image's post-entrypoint.sh, with nothing tracked: it never reaches the exec.
    done = subprocess.run(
        ["/bin/sh", str(REPO / "post-entrypoint.sh")],
        env={"PATH": "/nonexistent"},
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_entrypoint_post_without_state_imports_nothing(workdir: Path) -> None:
    workdir.mkdir(parents=True)
    env = step_env(Run(), {"component-id": "x", "dry-run": "true"}, workdir)
    # -X importtime lists every module imported: none of ours, no pydantic.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "entrypoint.py"), "post"],
        env={**env, "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout == ""
    assert "compass_action" not in done.stderr and "pydantic" not in done.stderr


def test_track_job_with_an_incident_is_one_input_problem_before_any_request(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {"track-job": "true", "event-type": "incident"}
    result = in_process(Run(), with_, workdir)
    assert result.exit_code == 1
    assert "::error title=Input track-job::applies only to deployment and build" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert result.saved_state == {} and standin.received() == []
