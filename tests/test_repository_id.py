"""The event source is keyed by the repository's numeric id, wherever the run gives it.

GITHUB_REPOSITORY_ID first; where the runner leaves it out (nektos/act, older GitHub Enterprise
Server) the event payload's ``repository.id``; only then the name, with a warning, since a
rename would split the component's history.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from compass_action.report.reporter import Reporter
from tools.action_runner import parse_output_file, start_in_process, step_env

from .conftest import COMPONENT
from .webhooks import run_for

COMPONENT_PART = COMPONENT.rsplit("/", 1)[-1]
DRY = {"component-id": COMPONENT, "dry-run": "true", "event-type": "build"}


def _source_and_warnings(env: dict[str, str]) -> tuple[str, list[str]]:
    out = io.StringIO()
    reporter = Reporter.from_environ(env)
    reporter.out, reporter.err = out, io.StringIO()
    assert start_in_process(env, reporter) == 0, out.getvalue()
    outputs = parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("::warning ")]
    return str(json.loads(outputs["payload"])["event"]["build"]["externalEventSourceId"]), warnings


def _push_run(repository_id: str, tmp_path: Path, **event_changes: object) -> dict[str, str]:
    # GitHub's published push payload (a new branch): Codertocat/Hello-World, id 186853002
    run = run_for("push/with-new-branch.payload.json", repository="Codertocat/Hello-World")
    assert run.event is not None
    run.event["repository"].update(event_changes)
    run.repository_id = repository_id
    return step_env(run, DRY, tmp_path)


def test_github_repository_id_keys_the_source(tmp_path: Path) -> None:
    source, warnings = _source_and_warnings(_push_run("987", tmp_path))
    assert source == f"github.com:repository:987:component:{COMPONENT_PART}"
    assert warnings == []


def test_without_github_repository_id_the_payload_s_repository_id_keys_it(tmp_path: Path) -> None:
    env = _push_run("", tmp_path)
    del env["GITHUB_REPOSITORY_ID"]
    source, warnings = _source_and_warnings(env)
    assert source == f"github.com:repository:186853002:component:{COMPONENT_PART}"
    assert warnings == []


def test_a_payload_about_another_repository_is_not_taken(tmp_path: Path) -> None:
    env = _push_run("", tmp_path, full_name="someone/else")
    source, warnings = _source_and_warnings(env)
    assert source == f"github.com:repository:Codertocat/Hello-World:component:{COMPONENT_PART}"
    assert len(warnings) == 1


def test_with_no_id_anywhere_the_name_keys_it_with_a_warning(tmp_path: Path) -> None:
    env = _push_run("", tmp_path, id=None)
    source, warnings = _source_and_warnings(env)
    assert source == f"github.com:repository:Codertocat/Hello-World:component:{COMPONENT_PART}"
    assert warnings == [
        "::warning title=GITHUB_REPOSITORY_ID::Neither GITHUB_REPOSITORY_ID nor the event "
        "payload's repository.id is set, so the event source id uses the repository's name "
        "(Codertocat/Hello-World): a rename of the repository would start a new event source "
        "and split the component's history in Compass; set GITHUB_REPOSITORY_ID, or "
        "external-event-source-id to a stable value"
    ]


def test_a_given_event_source_id_needs_no_warning(tmp_path: Path) -> None:
    env = _push_run("", tmp_path, id=None)
    env["COMPASS_EXTERNAL_EVENT_SOURCE_ID"] = "shop-api-builds"
    source, warnings = _source_and_warnings(env)
    assert source == "shop-api-builds"
    assert warnings == []
