"""README.md and docs/: every link resolves, every example is valid, the tables are action.yml's.

- A relative link names a file of the repository, and its ``#anchor`` a heading of that file,
  by GitHub's rule for heading anchors.
- Every ```yaml example parses; a step that uses this action passes only inputs action.yml
  declares, and ``steps.<id>.outputs.<name>`` reads only outputs it declares.
- docs/running-outside-github.md lists exactly the GITHUB_* variables the code reads, and its
  simulated run does what the page says.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from compass_action.github.run_context import RunContext
from compass_action.report.reporter import Reporter
from tools import read_trusted_yaml
from tools.action_runner import ACTION, REPO, parse_output_file, start_in_process
from tools.readme_tables import render

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# Pages whose links are checked too.
LINKED = [*PAGES, REPO / "SECURITY.md", REPO / "CHANGELOG.md", REPO / "contract" / "SOURCE.md"]
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


def _prose(text: str) -> str:
    """The text outside fenced blocks and inline code, where links are."""
    return re.sub(r"`[^`\n]*`", "", _FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case; punctuation other than ``-`` and ``_``
    dropped (markup too); each space a hyphen."""
    text = re.sub(r"[`*]", "", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor; a repeated one gets -1, -2, ... as GitHub numbers them."""
    seen: Counter[str] = Counter()
    found = set()
    for line in _FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6} (.+)$", line)
        if match:
            slug = github_slug(match.group(1))
            found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
            seen[slug] += 1
    return found


def test_the_slug_rule_is_github_s() -> None:
    assert github_slug("Quick start: one line per job") == "quick-start-one-line-per-job"
    assert github_slug("A job with `environment: staging`") == "a-job-with-environment-staging"
    assert github_slug("Living beside Compass's own GitHub app") == (
        "living-beside-compasss-own-github-app"
    )
    assert github_slug("Mirror GitHub deployments (Vercel, Netlify)") == (
        "mirror-github-deployments-vercel-netlify"
    )


def _links(page: Path) -> list[str]:
    return _LINK.findall(_prose(page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", LINKED, ids=_id)
def test_every_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:: not checked, no network here
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists() or REPO.resolve() not in [resolved, *resolved.parents]:
            broken.append(f"{target}: no such file")
        elif anchor and (resolved.suffix != ".md" or anchor not in anchors(resolved)):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert broken == []


def test_the_docs_index_lists_every_page_and_the_readme_links_the_index() -> None:
    index = REPO / "docs" / "README.md"
    listed = {target.partition("#")[0] for target in _links(index)}
    pages = {path.name for path in (REPO / "docs").glob("*.md")} - {"README.md"}
    assert pages <= listed
    assert "docs/README.md" in _links(REPO / "README.md")


def test_every_page_starts_with_a_title() -> None:
    for page in PAGES:
        assert page.read_text(encoding="utf-8").startswith("# "), page


# -- the examples ------------------------------------------------------------------------------


def _yaml_blocks() -> list[tuple[str, str]]:
    return [
        (_id(page), block)
        for page in PAGES
        for block in re.findall(r"^```yaml\n(.*?)^```", page.read_text("utf-8"), re.M | re.S)
    ]


def _steps_using_the_action(node: object) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "compass-action" in str(node.get("uses", "")):
            found.append(node)
        for value in node.values():
            found += _steps_using_the_action(value)
    elif isinstance(node, list):
        for value in node:
            found += _steps_using_the_action(value)
    return found


def test_every_yaml_example_parses_and_uses_only_declared_inputs() -> None:
    variables = {"COMPASS_" + name.upper().replace("-", "_") for name in ACTION["inputs"]}
    steps = 0
    for where, block in _yaml_blocks():
        loaded = read_trusted_yaml(block)
        for step in _steps_using_the_action(loaded):
            steps += 1
            uses = str(step["uses"])
            assert re.fullmatch(r"(OWNER/compass-action@\S+|docker://\S+)", uses), (where, uses)
            assert set(step.get("with") or {}) <= set(ACTION["inputs"]), (where, step)
            if uses.startswith("docker://"):
                assert set(step.get("env") or {}) <= variables, (where, step)
    assert steps >= 20  # the README's and the docs' examples, all of them checked


def test_every_output_an_example_reads_is_declared() -> None:
    read = 0
    for where, block in _yaml_blocks():
        steps = _steps_using_the_action(read_trusted_yaml(block))
        ids = {str(step["id"]) for step in steps if "id" in step}
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", block):
            if step_id in ids:
                read += 1
                assert output in ACTION["outputs"], (where, output)
    assert read >= 3  # the README's example of reading the outputs


def test_the_readme_tables_are_generated_from_action_yml() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert render(readme, ACTION) == readme, "run: python -m tools.readme_tables --write"


# -- running outside GitHub ----------------------------------------------------------------------

OUTSIDE = REPO / "docs" / "running-outside-github.md"
# Read by the code outside RunContext (report/reporter.py, events/ledger.py, components.py,
# changes.py, reconcile.py, clients/github_api.py).
RUNNER_VARIABLES = {
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_STATE",
    "GITHUB_ENV",
    "GITHUB_WORKSPACE",
    "GITHUB_API_URL",
}


def _documented_variables() -> set[str]:
    rows = [line for line in OUTSIDE.read_text("utf-8").splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(GITHUB_[A-Z_]+)`", row.split("|")[1])}


def test_the_page_lists_exactly_the_github_variables_the_code_reads() -> None:
    run_context = {"GITHUB_" + field.upper() for field in RunContext.model_fields}
    in_code = {
        name
        for path in (REPO / "compass_action").rglob("*.py")
        for name in re.findall(r"\"(GITHUB_[A-Z_]+)\"", path.read_text(encoding="utf-8"))
    }
    assert in_code <= run_context | RUNNER_VARIABLES, in_code - run_context - RUNNER_VARIABLES
    assert _documented_variables() == run_context | RUNNER_VARIABLES


def test_the_simulated_run_does_what_the_page_says(tmp_path: Path) -> None:
    text = OUTSIDE.read_text(encoding="utf-8")
    [script] = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "GITHUB_SHA" in b]
    env = {}
    for name, value in re.findall(r"^export (\w+)=(.*)$", script, re.M):
        env[name] = value.strip('"').replace("$PWD", str(tmp_path))
    assert "echo '{}' > event.json" in script and script.rstrip().endswith("python entrypoint.py")
    (tmp_path / "event.json").write_text("{}", encoding="utf-8")
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_ENV"):
        Path(env[name]).touch()
    out = io.StringIO()
    reporter = Reporter.from_environ(env)
    reporter.out, reporter.err = out, io.StringIO()
    assert start_in_process(env, reporter) == 0, out.getvalue()
    assert "::warning" not in out.getvalue()
    outputs = parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    deployment = json.loads(outputs["payload"])["event"]["deployment"]["deploymentProperties"]
    prose = " ".join(text.split())
    said = re.search(r"pipeline ID `([^`]+)` and the sequence number `(\d+)`", prose)
    assert said is not None
    assert deployment["pipeline"]["pipelineId"] == said.group(1)
    assert str(deployment["sequenceNumber"]) == said.group(2)
    assert outputs["environment-id"] == "production"


def test_ci_runs_the_two_commands_the_docs_give_in_a_plain_clone() -> None:
    development = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    block = development.split("From a plain clone", 1)[1].split("```bash\n", 1)[1]
    commands = [line.split("#")[0].strip() for line in block.split("```", 1)[0].splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    clone = ci.index('git clone -q "$PWD" "$tmp/compass-action"')
    assert "tmp=$(mktemp -d)" in ci[:clone] and ci[clone + 1] == 'cd "$tmp/compass-action"'
    assert all(command in ci[clone:] for command in commands)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"`{command}`" in readme for command in commands)


def test_every_whole_workflow_example_passes_actionlint(tmp_path: Path) -> None:
    # actionlint (a dev dependency, as scripts/check.sh runs it on our own workflows) checks the
    # examples as GitHub would read them: expressions, contexts, `on:`, known actions' inputs.
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    written = 0
    for where, block in _yaml_blocks():
        loaded = read_trusted_yaml(block)
        if isinstance(loaded, dict) and "jobs" in loaded:
            written += 1
            name = where.replace("/", "-").removesuffix(".md")
            (folder / f"{name}-{written}.yml").write_text(block, encoding="utf-8")
    assert written >= 15
    done = subprocess.run(
        [actionlint, "-no-color"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
