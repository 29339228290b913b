"""action.yml, the code and the README say the same thing about inputs and outputs."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter

from compass_action.input_names import input_name, variable_name
from compass_action.inputs import ActionInputs
from compass_action.report.results import RunResult, outputs
from tools.action_runner import ACTION, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_input_is_a_field_and_every_field_an_input() -> None:
    assert set(ACTION["inputs"]) == {input_name(field) for field in ActionInputs.model_fields}


def test_runs_env_maps_each_input_to_its_compass_variable() -> None:
    # The code's one naming rule (input_names.py) is the one action.yml follows.
    expected = {variable_name(name): f"${{{{ inputs.{name} }}}}" for name in ACTION["inputs"]}
    assert ACTION["runs"]["env"] == expected


def test_runs_env_uses_only_the_inputs_context() -> None:
    for value in ACTION["runs"]["env"].values():
        assert re.fullmatch(r"\$\{\{ inputs\.[a-z-]+ \}\}", value)


def test_literal_defaults_match_the_code() -> None:
    fields = ActionInputs.model_fields
    for name, spec in ACTION["inputs"].items():
        default = spec.get("default")
        if default is None or "${{" in str(default):
            continue
        field = fields[name.replace("-", "_")]
        assert field.annotation is not None
        assert TypeAdapter(field.annotation).validate_python(str(default)) == field.default, name


def test_every_output_is_always_written() -> None:
    written = outputs(None, RunResult("", False, ""))
    assert set(ACTION["outputs"]) == set(written)


def test_the_action_is_a_dockerfile_container() -> None:
    assert ACTION["runs"]["using"] == "docker"
    assert ACTION["runs"]["image"] == "Dockerfile"


def _readme_table(heading: str) -> dict[str, str]:
    section = README.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {re.match(r"\| `([^`]+)`", row).group(1): row for row in rows}  # type: ignore[union-attr]


@pytest.mark.parametrize(("heading", "key"), [("Inputs", "inputs"), ("Outputs", "outputs")])
def test_readme_tables_list_exactly_what_action_yml_declares(heading: str, key: str) -> None:
    assert set(_readme_table(heading)) == set(ACTION[key])


def test_readme_input_defaults_match_action_yml() -> None:
    table = _readme_table("Inputs")
    for name, spec in ACTION["inputs"].items():
        default = spec.get("default")
        if default is not None:
            assert f"`{default}`" in table[name], name


# The README's examples, and every other page's, are checked in test_docs.py; the tables are
# generated from action.yml (tools/readme_tables.py), which test_docs.py checks too.


# GitHub Marketplace listing rules. Sources:
# - https://docs.github.com/en/actions/how-tos/create-and-publish-actions/publish-in-github-marketplace
#   ("Publishing actions in GitHub Marketplace"): the `name` must be unique; it cannot match a
#   published action, a user or organisation, a Marketplace category, or a GitHub feature.
# - The description limit is not in GitHub's documentation; the release form enforces it and
#   says "Description must be less than 125 characters." (quoted by publishers whose release it
#   refused, e.g. pyTooling/SynchronizeForks v1.0.1, korthout/backport-action#307 for the name).
MARKETPLACE_DESCRIPTION_LIMIT = 125  # exclusive: 125 characters is already refused
# GitHub documents no length limit for the name; ours, so that it reads as a title.
NAME_LIMIT = 50
# Marketplace categories for actions, and names that say nothing about what this action is.
GENERIC_NAMES = {
    "api management", "chat", "code quality", "code review", "continuous integration",
    "dependency management", "deployment", "ides", "learning", "localization", "mobile",
    "monitoring", "project management", "publishing", "security", "testing", "utilities",
    "action", "github action", "my action", "hello world", "compass", "compass events",
    "compass-action", "atlassian compass", "compass event", "deploy", "build",
}  # fmt: skip


def test_the_description_fits_the_marketplace_limit() -> None:
    description = ACTION["description"]
    assert isinstance(description, str) and "\n" not in description.strip()
    assert len(description) < MARKETPLACE_DESCRIPTION_LIMIT, len(description)


def test_the_name_is_short_specific_and_not_a_placeholder() -> None:
    name = ACTION["name"]
    assert isinstance(name, str) and name == name.strip()
    assert len(name) <= NAME_LIMIT, len(name)
    assert name.lower() not in GENERIC_NAMES
    # It says what it does and for which product, in more than a word or two.
    assert "Atlassian Compass" in name and len(name.split()) >= 4


def test_the_readme_title_is_the_action_name() -> None:
    assert README.splitlines()[0] == f"# {ACTION['name']}"
