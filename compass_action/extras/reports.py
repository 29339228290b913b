"""Numbers from the reports teams already produce: coverage and test counts (issue 21, item 2).

Coverage, as a percentage of lines, from:
- Cobertura XML, which coverage.py's ``coverage xml`` and many other tools write (jest with the
  ``cobertura`` reporter): the root ``<coverage>``'s ``lines-covered``/``lines-valid``, else its
  ``line-rate``;
- coverage.py JSON (``coverage json``): ``totals.percent_covered``, the number ``coverage
  report`` prints (lines, and branches when they are measured);
- lcov (``coverage lcov``, jest's ``lcov`` reporter, c8, gcov): the sum of ``LH`` over ``LF``;
- JaCoCo XML: the report's own ``<counter type="LINE" missed covered>``.
Test counts from JUnit XML (pytest ``--junitxml``, jest-junit, Maven Surefire): ``tests``, and
``failures`` plus ``errors``, from the root ``<testsuites>`` when it carries them, else summed
over its ``<testsuite>`` elements.

The format is told apart by the content, not the name. XML is parsed by defusedxml, which
refuses entity declarations (the "billion laughs") and external entities; a JSON file that
nests too deeply is refused like every JSON file the action reads.
"""

from __future__ import annotations

import io
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..inputs import ActionInputs
from ..problems import Problem
from .files import FileProblem, read_workspace_file
from .metric_values import MetricValue

# Coverage reports of large monorepos run to tens of megabytes (a Cobertura XML lists every
# line); more than this is not a report.
REPORT_LIMIT = 64 * 1024 * 1024


class ReportProblem(Exception):
    pass


@dataclass(frozen=True)
class Coverage:
    percent: float
    format: str


@dataclass(frozen=True)
class JUnitCounts:
    tests: int
    failed: int  # failures and errors


def report_values(
    inputs: ActionInputs, environ: Mapping[str, str], problems: list[Problem]
) -> list[MetricValue]:
    """The values the reports give, each to the metric the inputs name for it."""
    values: list[MetricValue] = []
    if inputs.coverage_report is not None and inputs.coverage_metric is not None:
        try:
            raw, _ = read_workspace_file(environ, inputs.coverage_report, REPORT_LIMIT)
            found = coverage_of(raw)
        except (FileProblem, ReportProblem) as exc:
            problems.append(Problem("coverage-report", str(exc)))
        else:
            origin = f"coverage-report, {found.format}"
            values.append(MetricValue(inputs.coverage_metric, round(found.percent, 2), origin))
    if inputs.test_report is not None:
        try:
            raw, _ = read_workspace_file(environ, inputs.test_report, REPORT_LIMIT)
            counts = junit_counts(raw)
        except (FileProblem, ReportProblem) as exc:
            problems.append(Problem("test-report", str(exc)))
        else:
            if inputs.tests_metric is not None:
                values.append(
                    MetricValue(inputs.tests_metric, float(counts.tests), "test-report, tests")
                )
            if inputs.test_failures_metric is not None:
                values.append(
                    MetricValue(
                        inputs.test_failures_metric, float(counts.failed), "test-report, failures"
                    )
                )
    return values


def _xml(raw: bytes) -> ET.Element:
    """The root with its attributes and its children with theirs, nothing deeper: all a
    report's totals need. Read as a stream, each element dropped once read, so a report of tens
    of megabytes never becomes a tree in memory; when the root carries the totals (Cobertura,
    JUnit's ``tests``), reading stops there."""
    shallow: ET.Element | None = None
    depth = 0
    try:
        for event, element in iterparse(
            io.BytesIO(raw),
            events=("start", "end"),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "end":
                depth -= 1
                element.clear()
                continue
            depth += 1
            if depth == 1:
                shallow = ET.Element(element.tag, dict(element.attrib))
                if element.tag == "coverage" or element.get("tests") is not None:
                    return shallow
            elif depth == 2 and shallow is not None:
                ET.SubElement(shallow, element.tag, dict(element.attrib))
    except DefusedXmlException as exc:
        raise ReportProblem(
            f"declares XML entities or external references ({type(exc).__name__}), which no "
            "report needs; it is not read"
        ) from None
    except ET.ParseError as exc:
        raise ReportProblem(f"is not well-formed XML ({exc})") from None
    if shallow is None:
        raise ReportProblem("is XML without a root element")
    return shallow


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _percent(covered: float, total: float, format_name: str) -> Coverage:
    if total <= 0:
        raise ReportProblem(f"is a {format_name} report that measured no lines")
    if not 0 <= covered <= total:
        raise ReportProblem(f"is a {format_name} report whose counts do not add up")
    return Coverage(100.0 * covered / total, format_name)


def coverage_of(raw: bytes) -> Coverage:
    """The line coverage a report gives, in percent; ReportProblem saying why not."""
    head = raw.lstrip()[:1]
    if head == b"<":
        return _xml_coverage(_xml(raw))
    if head == b"{":
        return _json_coverage(raw)
    if b"end_of_record" in raw[: 1024 * 1024] or raw.startswith((b"TN:", b"SF:")):
        return _lcov_coverage(raw)
    raise ReportProblem(
        "is not a coverage report this action reads: Cobertura or coverage.py XML, "
        "coverage.py JSON, lcov or JaCoCo XML"
    )


def _xml_coverage(root: ET.Element) -> Coverage:
    if root.tag == "coverage":  # Cobertura, as coverage.py and jest write it
        covered, valid = _number(root.get("lines-covered")), _number(root.get("lines-valid"))
        if covered is not None and valid is not None:
            return _percent(covered, valid, "Cobertura XML")
        rate = _number(root.get("line-rate"))
        if rate is not None and 0 <= rate <= 1:
            return Coverage(100.0 * rate, "Cobertura XML")
        raise ReportProblem("is a Cobertura XML report without line-rate or line counts")
    if root.tag == "report":  # JaCoCo: the report's own counters are its totals
        for counter in root.findall("counter"):
            if counter.get("type") == "LINE":
                missed, covered = _number(counter.get("missed")), _number(counter.get("covered"))
                if missed is not None and covered is not None:
                    return _percent(covered, covered + missed, "JaCoCo XML")
        raise ReportProblem("is a JaCoCo XML report without a LINE counter")
    raise ReportProblem(
        f"is XML with the root <{root.tag[:40]}>, not a Cobertura or JaCoCo coverage report"
    )


def _json_coverage(raw: bytes) -> Coverage:
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ReportProblem("nests too deeply to be read") from None
    except ValueError:
        raise ReportProblem("is not UTF-8 JSON") from None
    totals = data.get("totals") if isinstance(data, dict) else None
    percent = totals.get("percent_covered") if isinstance(totals, dict) else None
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise ReportProblem(
            "is JSON without totals.percent_covered; give a coverage.py JSON report "
            "(coverage json), or jest's Cobertura or lcov report"
        )
    if not 0 <= percent <= 100:
        raise ReportProblem(f"gives a coverage of {percent}, not a percentage")
    return Coverage(float(percent), "coverage.py JSON")


_LCOV_TOTAL = re.compile(rb"^[ \t]*L([FH]):[ \t]*([0-9]{1,12})[ \t]*\r?$", re.MULTILINE)


def _lcov_coverage(raw: bytes) -> Coverage:
    """Lines hit (``LH``) over lines found (``LF``), summed over the report's records."""
    totals = {b"F": 0, b"H": 0}
    for key, count in _LCOV_TOTAL.findall(raw):
        totals[key] += int(count)
    return _percent(totals[b"H"], totals[b"F"], "lcov")


def junit_counts(raw: bytes) -> JUnitCounts:
    """The tests of a JUnit XML report, and how many failed or errored."""
    root = _xml(raw)
    if root.tag == "testsuites" and root.get("tests") is not None:
        suites = [root]
    elif root.tag == "testsuites":
        suites = root.findall("testsuite")
    elif root.tag == "testsuite":
        suites = [root]
    else:
        raise ReportProblem(f"is XML with the root <{root.tag[:40]}>, not a JUnit XML report")
    tests = failed = 0
    for suite in suites:
        counts = [_count(suite, name) for name in ("tests", "failures", "errors")]
        tests += counts[0]
        failed += counts[1] + counts[2]
    return JUnitCounts(tests, failed)


def _count(suite: ET.Element, name: str) -> int:
    value = suite.get(name)
    if value is None:
        return 0
    if not value.strip().isdigit():
        raise ReportProblem(f"has a <{suite.tag}> whose {name} is {value[:20]!r}, not a count")
    return int(value)
