"""The built image, run the way the runner runs a container action, against the stand-in.

``scripts/container-smoke.sh`` builds the image and runs this module with COMPASS_SMOKE_IMAGE
set; without it these tests are skipped (they need podman, buildah, runc and debootstrap).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.action_runner import Run, parse_output_file, step_env
from tools.compass_standin import Standin

from .conftest import credentials

IMAGE = os.environ.get("COMPASS_SMOKE_IMAGE", "")
pytestmark = pytest.mark.skipif(
    not IMAGE,
    reason="container smoke test: run scripts/container-smoke.sh to build and run the image",
)


@dataclass
class ContainerRun:
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    saved_state: dict[str, str]  # GITHUB_STATE, which the runner gives the post step as STATE_*


def run_container(
    run: Run,
    with_: dict[str, str],
    host: Path,
    extra_env: dict[str, str] | None = None,
    entrypoint: str | None = None,
) -> ContainerRun:
    """``docker run`` as the runner builds it: -e NAME only, the /github mounts, its workdir;
    ``--entrypoint`` for a post step (action.yml ``runs.post-entrypoint``)."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: apt-get install podman buildah runc debootstrap")
    dirs = {
        name: host / name
        for name in ("workspace", "home", "workflow", "file_commands", "runner_temp")
    }
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    env = step_env(run, with_, dirs["workflow"])
    env.pop("PATH")
    guid = uuid.uuid4()
    output, summary = f"set_output_{guid}", f"step_summary_{guid}"
    state, exported = f"save_state_{guid}", f"set_env_{guid}"
    for name in (output, summary, state, exported):
        (dirs["file_commands"] / name).write_text("")
    env |= {
        "HOME": "/github/home",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": f"/github/file_commands/{output}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary}",
        "GITHUB_STATE": f"/github/file_commands/{state}",
        "GITHUB_ENV": f"/github/file_commands/{exported}",
        "RUNNER_TEMP": "/github/runner_temp",
    }
    command = ["podman", "run", "--rm", "--network", "host", "--read-only"]
    command += ["--workdir", "/github/workspace"]
    for name in env:
        command += ["-e", name]
    # Given with their values: in podman's own environment they would break podman itself.
    for name, value in (extra_env or {}).items():
        command += ["-e", f"{name}={value}"]
    for name, folder in dirs.items():
        command += ["-v", f"{folder}:/github/{name}"]
    if entrypoint is not None:
        command += ["--entrypoint", entrypoint]
    command.append(IMAGE)
    podman_env = {
        key: os.environ[key]
        for key in ("PATH", "CONTAINERS_CONF", "BUILDAH_ISOLATION")
        if key in os.environ
    }
    completed = subprocess.run(
        command, env=podman_env | env, capture_output=True, text=True, timeout=180, check=False
    )
    return ContainerRun(
        exit_code=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
        outputs=parse_output_file((dirs["file_commands"] / output).read_text()),
        summary=(dirs["file_commands"] / summary).read_text(),
        saved_state=parse_output_file((dirs["file_commands"] / state).read_text()),
    )


def test_the_image_delivers_a_release_deployment(standin: Standin, tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    # The workflow's PATH and PYTHONPATH reach the container; neither may change what runs.
    (tmp_path / "workspace" / "httpx.py").write_text(
        "raise SystemExit('shadowed httpx imported')\n"
    )
    result = run_container(
        Run(ref="refs/tags/v1.0.0"),
        credentials(standin),
        tmp_path,
        {"PATH": "utter-nonsense", "PYTHONPATH": "/github/workspace"},
    )

    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.outputs["delivered"] == "true"
    assert result.outputs["status"] == "202"
    assert result.outputs["environment-category"] == "PRODUCTION"
    [stored] = standin.events()
    assert stored["deploymentProperties"]["state"] == "SUCCESSFUL"
    assert "v1.0.0" in stored["displayName"]
    assert "Compass deployment event" in result.summary


def test_the_image_reports_bad_input_and_fails(standin: Standin, tmp_path: Path) -> None:
    inputs = credentials(standin) | {"component-id": "Not an ARI", "environment": "staging"}
    result = run_container(Run(), inputs, tmp_path)

    assert result.exit_code == 1
    assert "::error title=Input component-id::" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert result.outputs["delivered"] == "false"
    assert standin.bodies() == []


def test_the_image_runs_as_the_default_user_with_no_workdir() -> None:
    config = subprocess.run(
        [
            "podman",
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}|{{.Config.WorkingDir}}|{{json .Config.Entrypoint}}",
            IMAGE,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    user, workdir, entrypoint = config.split("|")
    assert user in ("", "root") and workdir in ("", "/")
    assert entrypoint.startswith('["/usr/local/bin/python"') and "/app/entrypoint.py" in entrypoint


def test_two_container_steps_of_a_job_update_one_deployment(
    standin: Standin, tmp_path: Path
) -> None:
    inputs = credentials(standin) | {"environment": "production"}
    started = run_container(Run(), inputs | {"state": "in_progress"}, tmp_path)
    finished = run_container(Run(job_status="failure"), inputs, tmp_path)

    assert started.exit_code == 0 and finished.exit_code == 0, finished.stdout + finished.stderr
    assert started.outputs["sequence-number"] == finished.outputs["sequence-number"]
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["state"] == "FAILED"
    # The startedAt of the first step, carried to the second through /github/home.
    first = started.outputs["payload"]
    assert f'"startedAt":"{props["startedAt"]}"' in first


def test_track_job_s_post_step_sends_the_job_s_final_state(
    standin: Standin, tmp_path: Path
) -> None:
    inputs = credentials(standin) | {"event-type": "build", "track-job": "true"}
    main = run_container(Run(), inputs, tmp_path)
    assert main.exit_code == 0, main.stdout + main.stderr
    assert main.saved_state == {"TRACKING": "true"}
    # The post step as the runner starts it: the same image, runs.post-entrypoint, the main
    # step's GITHUB_STATE as STATE_*, and job.status evaluated again when the job has ended.
    post_env = {f"STATE_{name}": value for name, value in main.saved_state.items()}
    post = run_container(
        Run(job_status="failure"), inputs, tmp_path, post_env, "/app/post-entrypoint.sh"
    )

    assert post.exit_code == 0, post.stdout + post.stderr
    [stored] = standin.events()
    assert stored["buildProperties"]["state"] == "FAILED"
    assert stored["buildProperties"]["pipeline"]["pipelineId"] == main.outputs["pipeline-id"]
    assert int(post.outputs["update-sequence-number"]) > int(main.outputs["update-sequence-number"])


def test_the_post_step_of_a_use_without_track_job_starts_no_python(tmp_path: Path) -> None:
    # Another use of the action in the job turned track-job on, so the runner starts this
    # use's post step too; without its own STATE_TRACKING it must end before Python starts.
    post = run_container(Run(), {}, tmp_path, None, "/app/post-entrypoint.sh")
    assert post.exit_code == 0 and post.stdout == ""


def test_the_image_carries_the_license() -> None:
    # MIT asks that the notice travel with every copy, and the image is one.
    shipped = subprocess.run(
        ["podman", "run", "--rm", "--entrypoint", "/bin/cat", IMAGE, "/app/LICENSE"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout == (Path(__file__).parent.parent / "LICENSE").read_text(encoding="utf-8")
