"""Issue 21, item 2: numbers from coverage and test reports, made by the tools themselves.

``tool_reports`` runs pytest under coverage.py on a two-function module in a temporary folder:
one test passes, one fails, one is skipped and one errors in its set-up, and three of the
module's four statements run. coverage.py then writes its XML (Cobertura), JSON and lcov
reports, and pytest its JUnit XML, so each parser is checked against real output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compass_action.extras.files import FileProblem, read_workspace_file
from compass_action.extras.reports import (
    REPORT_LIMIT,
    ReportProblem,
    coverage_of,
    junit_counts,
)
from tools.action_runner import Run, StepResult
from tools.compass_contract import METRICS_OPENAPI, schema_errors
from tools.compass_standin import Standin
from tools.standin_graphql import STANDIN_METRIC_DEFINITIONS

from .conftest import credentials
from .inprocess import InProcess

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
COVERAGE, _, _, TESTS, FAILURES = STANDIN_METRIC_DEFINITIONS
PUSH = Run(event_name="push", ref="refs/heads/main")

_MODULE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
_TESTS = """import pytest

import calc


@pytest.fixture
def broken():
    raise RuntimeError("set-up fails")


def test_add():
    assert calc.add(1, 2) == 3


def test_wrong():
    assert calc.add(1, 1) == 3


@pytest.mark.skip(reason="not yet")
def test_skipped():
    pass


def test_error(broken):
    pass
"""

_REPORTS = """import coverage
data = coverage.Coverage()
data.load()
data.xml_report(outfile="coverage.xml")
data.json_report(outfile="coverage.json")
data.lcov_report(outfile="coverage.lcov")
"""


@pytest.fixture(scope="module")
def tool_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    (folder / "calc.py").write_text(_MODULE)
    (folder / "test_calc.py").write_text(_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_", "COVERAGE"))}
    # pytest's JUnit XML is its own (junitxml is built in): the plugins installed here for the
    # suite (Hypothesis, xdist, pytest-httpx) need not load in it, ~0.3 s of the process.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"

    def tool(*args: str) -> None:
        subprocess.run(
            [sys.executable, *args],
            cwd=folder,
            env=env,
            check=False,
            capture_output=True,
            timeout=120,
        )

    tool(
        "-m",
        "coverage",
        "run",
        "--include=calc.py",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        "--junitxml=junit.xml",
        "test_calc.py",
    )
    # The three reports from one process, through the API coverage's own commands call
    # (`coverage xml`, `json`, `lcov`): three processes would each start Python and coverage.
    tool("-c", _REPORTS)
    for name in ("junit.xml", "coverage.xml", "coverage.json", "coverage.lcov"):
        assert (folder / name).is_file(), f"the tools wrote no {name}"
    return folder


@pytest.mark.parametrize(
    ("name", "format_name"),
    [
        ("coverage.xml", "Cobertura XML"),
        ("coverage.json", "coverage.py JSON"),
        ("coverage.lcov", "lcov"),
    ],
)
def test_each_coverage_format_gives_the_lines_covered(
    tool_reports: Path, name: str, format_name: str
) -> None:
    found = coverage_of((tool_reports / name).read_bytes())
    assert (found.percent, found.format) == (75.0, format_name)


def test_a_jacoco_report_gives_its_own_line_totals() -> None:
    found = coverage_of((FIXTURES / "jacoco.xml").read_bytes())
    assert (found.percent, found.format) == (75.0, "JaCoCo XML")


def test_a_junit_report_gives_tests_and_failures_with_errors(tool_reports: Path) -> None:
    counts = junit_counts((tool_reports / "junit.xml").read_bytes())
    assert (counts.tests, counts.failed) == (4, 2)


def test_a_junit_root_testsuite_and_summed_suites() -> None:
    one = b'<testsuite name="a" tests="5" failures="1" errors="0"/>'
    two = (
        b'<testsuites><testsuite tests="2" failures="1" errors="1"/>'
        b'<testsuite tests="3" failures="0" errors="0"/></testsuites>'
    )
    assert junit_counts(one).tests == 5 and junit_counts(one).failed == 1
    assert (junit_counts(two).tests, junit_counts(two).failed) == (5, 2)


_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE coverage [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<coverage line-rate="0.5" version="&lol3;"/>"""
_EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuite tests="1" failures="0" name="&secret;"/>"""


def test_xml_bombs_and_external_entities_are_refused() -> None:
    with pytest.raises(ReportProblem, match="declares XML entities"):
        coverage_of(_LAUGHS)
    with pytest.raises(ReportProblem, match="declares XML entities"):
        junit_counts(_EXTERNAL)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"<coverage/>", "without line-rate"),
        (b"<html><body/></html>", "not a Cobertura or JaCoCo"),
        (b'{"meta": {}}', "without totals.percent_covered"),
        (b"[" * 100_000 + b"]" * 100_000, "not a coverage report"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nests too deeply"),
        (b"TN:\nSF:a.py\nend_of_record\n", "measured no lines"),
        (b"<coverage lines-valid='4' lines-covered='9'/>", "do not add up"),
        (b"<coverage", "not well-formed"),
        (b"hello", "not a coverage report"),
    ],
)
def test_what_is_not_a_report_is_named(raw: bytes, said: str) -> None:
    with pytest.raises(ReportProblem, match=said):
        coverage_of(raw)


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "coverage.xml"
    with huge.open("wb") as handle:  # sparse: no disk is used
        handle.truncate(REPORT_LIMIT + 1)
    with pytest.raises(FileProblem, match="larger than 64 MiB"):
        read_workspace_file({"GITHUB_WORKSPACE": str(tmp_path)}, "coverage.xml", REPORT_LIMIT)


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (tmp_path / "secret").write_text("token")
    (workspace / "coverage.xml").symlink_to(tmp_path / "secret")
    with pytest.raises(FileProblem, match="leads outside the workspace"):
        read_workspace_file({"GITHUB_WORKSPACE": str(workspace)}, "coverage.xml", 100)
    with pytest.raises(FileProblem, match="leads outside the workspace"):
        read_workspace_file({"GITHUB_WORKSPACE": str(workspace)}, "../secret", 100)


# -- end to end ------------------------------------------------------------------------------


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def test_reports_are_sent_to_the_metrics_they_name(
    tool_reports: Path, standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("coverage.json", "junit.xml"):
        (workdir / name).write_bytes((tool_reports / name).read_bytes())
    with_ = credentials(standin) | {
        "event-type": "none",
        "coverage-report": "coverage.json",
        "coverage-metric": "Code coverage",
        "test-report": "junit.xml",
        "tests-metric": "Tests",
        "test-failures-metric": FAILURES.id,
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    bodies = [(item.status, json.loads(item.body)) for item in standin.received()]
    accepted = [b for status, b in bodies if status == 200 and "metricDefinitionId" in b]
    for body in accepted:
        assert (
            schema_errors(body, "InsertMetricByMetricDefinitionRequestDto", METRICS_OPENAPI) == []
        )
    assert [(b["metricDefinitionId"], b["value"]) for b in accepted] == [
        (COVERAGE.id, 75),
        (TESTS.id, 4),
        (FAILURES.id, 2),
    ]
    assert "Metric Code coverage: 75 (coverage-report, coverage.py JSON)" in result.stdout
    assert "| Tests | 4 | 200 | yes |" in result.summary


def test_a_report_that_is_not_one_is_an_input_problem_before_any_request(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "junit.xml").write_bytes(_EXTERNAL)
    with_ = credentials(standin) | {
        "event-type": "none",
        "test-report": "junit.xml",
        "tests-metric": "Tests",
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 1
    assert "Input test-report" in printed(result) and "declares XML entities" in printed(result)
    assert standin.received() == []
