"""Numbers from the reports teams already produce (issue 21, item 2)."""

from __future__ import annotations

from collections.abc import Mapping

from ..inputs import ActionInputs
from ..problems import Problem
from .metric_values import MetricValue


def report_values(
    inputs: ActionInputs, environ: Mapping[str, str], problems: list[Problem]
) -> list[MetricValue]:
    problems.append(Problem("coverage-report", "is not supported yet"))
    return []
