"""The action against the Compass stand-in, with the environment the runner gives it.

Two tests start the real entrypoint in a subprocess, as the runner does (the outputs file and
the very bytes sent, a run outside GitHub with plain variables); the rest run main() in this
process (tests/inprocess.py) with the same environment, the same path, faster.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from tools.action_runner import Run, run_entrypoint, run_step
from tools.compass_contract import contract_errors
from tools.compass_standin import ScriptedAnswer, Standin

from .conftest import CLOUD_ID, COMPONENT, EMAIL, TOKEN, credentials, scripted_standin
from .inprocess import InProcess
from .webhooks import payload, run_for


def deployment(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["event"]["deployment"])


def test_release_tag_push_is_a_production_deployment(standin: Standin, workdir: Path) -> None:
    run = Run(ref="refs/tags/v1.2.3", event_name="push")
    result = run_step(run, credentials(standin), workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.outputs["delivered"] == "true"
    assert result.outputs["status"] == "202"
    assert result.outputs["environment-category"] == "PRODUCTION"
    assert result.outputs["environment-id"] == "production"
    [stored] = standin.events()
    props = stored["deploymentProperties"]
    assert props["state"] == "SUCCESSFUL"
    assert props["environment"] == {
        "category": "PRODUCTION",
        "displayName": "production",
        "environmentId": "production",
    }
    assert "v1.2.3" in stored["displayName"]
    body = json.loads(standin.bodies()[0])
    assert body["cloudId"] == CLOUD_ID and body["componentId"] == COMPONENT
    assert result.outputs["payload"] == standin.bodies()[0]  # the very bytes sent
    assert contract_errors(body) == []


def test_release_event_is_a_production_deployment(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = Run(
        event_name="release",
        ref="refs/tags/v2.0.0",
        event={"action": "published", "release": {"tag_name": "v2.0.0"}},
    )
    result = in_process(run, credentials(standin), workdir)

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-category"] == "PRODUCTION"
    assert "v2.0.0" in standin.events()[0]["displayName"]


def test_deployment_event_environment_comes_from_the_payload(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    event = payload("deployment/payload.json")
    event["deployment"]["environment"] = "staging"
    result = in_process(run_for("deployment/payload.json", event), credentials(standin), workdir)

    assert result.exit_code == 0, result.stderr
    assert result.outputs["environment-id"] == "staging"
    assert result.outputs["environment-category"] == "STAGING"


def test_job_with_a_staging_environment(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(Run(), credentials(standin) | {"environment": "Staging-EU"}, workdir)

    assert result.exit_code == 0, result.stderr
    env = standin.events()[0]["deploymentProperties"]["environment"]
    assert env == {
        "category": "STAGING",
        "displayName": "Staging-EU",
        "environmentId": "staging-eu",
    }
    assert "STAGING" in result.summary and "Staging-EU" in result.summary


def test_in_progress_then_final_step_is_one_deployment(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = Run()
    with_ = credentials(standin) | {"environment": "production"}
    started = in_process(run, with_ | {"state": "in_progress"}, workdir)
    finished = in_process(dataclasses.replace(run, job_status="failure"), with_, workdir)

    assert started.exit_code == 0 and finished.exit_code == 0, finished.stderr
    first, second = (deployment(json.loads(body)) for body in standin.bodies())
    key = ("pipeline", "environment", "sequenceNumber")
    first_key = [first["deploymentProperties"][k] for k in key]
    second_key = [second["deploymentProperties"][k] for k in key]
    assert first_key[0]["pipelineId"] == second_key[0]["pipelineId"]
    assert first_key[1]["environmentId"] == second_key[1]["environmentId"]
    assert first_key[2] == second_key[2]
    assert second["updateSequenceNumber"] > first["updateSequenceNumber"]
    assert first["deploymentProperties"]["state"] == "IN_PROGRESS"
    assert "completedAt" not in first["deploymentProperties"]
    assert second["deploymentProperties"]["completedAt"]
    assert first["deploymentProperties"]["startedAt"] == second["deploymentProperties"]["startedAt"]
    assert (workdir / ".compass-action" / "sent-events.json").is_file()  # in the job's HOME
    # Compass (and the stand-in) keep one deployment, now FAILED.
    [stored] = standin.events()
    assert stored["deploymentProperties"]["state"] == "FAILED"


def test_rerun_and_later_run_are_new_deployments_with_larger_numbers(
    standin: Standin, in_process: InProcess, tmp_path: Path
) -> None:
    first = Run()
    rerun = dataclasses.replace(first, run_attempt=2, check_run_id=51_725_249_999)
    later = dataclasses.replace(first, run_id=first.run_id + 1, run_number=first.run_number + 1)
    with_ = credentials(standin) | {"environment": "production"}
    outputs = [
        in_process(r, with_, tmp_path / str(i)).outputs for i, r in enumerate((first, rerun, later))
    ]

    numbers = [int(o["sequence-number"]) for o in outputs]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert len({o["pipeline-id"] for o in outputs}) == 3
    assert {o["environment-id"] for o in outputs} == {"production"}
    assert len(standin.events()) == 3


def test_environments_get_distinct_ids_and_share_the_event_source(
    standin: Standin, in_process: InProcess, tmp_path: Path
) -> None:
    with_ = credentials(standin)
    staging = in_process(Run(job="staging"), with_ | {"environment": "staging"}, tmp_path / "s")
    prod = in_process(
        Run(job="prod", workflow="Release"), with_ | {"environment": "production"}, tmp_path / "p"
    )

    assert staging.outputs["environment-id"] != prod.outputs["environment-id"]
    sources = {
        json.loads(b)["event"]["deployment"]["externalEventSourceId"] for b in standin.bodies()
    }
    assert len(sources) == 1


def test_build_start_and_finish_are_one_build_and_jobs_are_separate(
    standin: Standin, in_process: InProcess, tmp_path: Path
) -> None:
    with_ = credentials(standin) | {"event-type": "build"}
    run = Run(job="test")
    in_process(run, with_ | {"state": "in_progress"}, tmp_path / "1")
    done = in_process(dataclasses.replace(run, job_status="failure"), with_, tmp_path / "1")
    other_leg = in_process(
        dataclasses.replace(run, check_run_id=51_725_241_955), with_, tmp_path / "3"
    )

    assert done.exit_code == 0, done.stderr
    assert done.outputs["event-type"] == "build" and done.outputs["state"] == "FAILED"
    assert done.outputs["environment-id"] == "" and done.outputs["sequence-number"] == ""
    assert other_leg.outputs["pipeline-id"] != done.outputs["pipeline-id"]
    builds = standin.events()
    assert sorted(b["buildProperties"]["state"] for b in builds) == ["FAILED", "SUCCESSFUL"]
    for body in standin.bodies():
        assert contract_errors(json.loads(body)) == []


def test_dry_run_needs_no_credentials_and_sends_nothing(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(
        Run(ref="refs/tags/v3.0.0"), {"component-id": COMPONENT, "dry-run": "true"}, workdir
    )

    assert result.exit_code == 0, result.stderr
    assert result.outputs["status"] == "dry-run" and result.outputs["delivered"] == "false"
    assert contract_errors(result.payload) == []
    assert '"sequenceNumber"' in result.stdout
    assert standin.bodies() == []
    assert not (workdir / ".compass-action").exists()  # nothing for later steps to continue


def test_workflow_env_wins_over_the_input_mapping(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(
        Run(),
        credentials(standin) | {"environment": "staging"},
        workdir,
        step_env_vars={"COMPASS_ENVIRONMENT": "qa"},
    )

    assert result.outputs["environment-id"] == "qa"
    assert result.outputs["environment-category"] == "TESTING"


def test_runs_outside_github_with_plain_variables(standin: Standin, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "COMPASS_SITE": standin.base_url,
        "COMPASS_USER_EMAIL": EMAIL,
        "COMPASS_API_TOKEN": TOKEN,
        "COMPASS_COMPONENT_ID": COMPONENT,
        "COMPASS_STATE": "successful",
        "COMPASS_ENVIRONMENT": "dev",
        "COMPASS_PIPELINE_ID": "laptop-deploy-1",
        "COMPASS_SEQUENCE_NUMBER": "7",
        "COMPASS_URL": "https://example.com/deploys/7",
        "COMPASS_EXTERNAL_EVENT_SOURCE_ID": "laptop",
    }
    completed = run_entrypoint(env, tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert "::" not in completed.stdout  # no workflow commands outside GitHub
    assert "delivered=true" in completed.stdout
    [stored] = standin.events()
    assert stored["deploymentProperties"]["environment"]["category"] == "DEVELOPMENT"
    assert stored["deploymentProperties"]["sequenceNumber"] == 7


def test_a_send_compass_did_not_accept_leaves_nothing_to_continue_from(
    in_process: InProcess, workdir: Path
) -> None:
    with scripted_standin([ScriptedAnswer(400, '{"errors":[{"message":"no"}]}')]) as server:
        with_ = credentials(server) | {"environment": "production", "state": "in_progress"}
        refused = in_process(Run(), with_, workdir)
    assert refused.exit_code == 1
    # The ledger records only what Compass accepted: a later step starts afresh.
    assert not (workdir / ".compass-action" / "sent-events.json").exists()
