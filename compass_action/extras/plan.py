"""What a step sends besides its event, worked out before any request: the plan of extras.

Everything here reads only the inputs and the workspace: the ``metrics`` values, the numbers the
reports give, the files to upload. A problem is an input problem naming the input to fix, found
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..github.run_context import RunContext
from ..inputs import ActionInputs
from ..problems import InputProblems, Problem
from ..text import rfc3339
from .metric_values import MetricValue, parse_metrics


@dataclass(frozen=True)
class Upload:
    """A file to upload: what it is for, where it was read and its bytes."""

    input: str  # api-spec or package-lock
    component: str  # the component's ARI
    path: str  # relative to the workspace
    content: bytes
    content_type: str  # of the file's part in the multipart body
    source_url: str = ""  # package-lock: the file at this commit on GitHub, for Compass's links


@dataclass(frozen=True)
class Extras:
    components: list[str]  # ARIs, in the order the step reports them
    metrics: list[MetricValue]
    # The step's start (RFC 3339): its values' time when the run's cannot be had (run_time.py)
    timestamp: str
    run: RunContext
    uploads: list[Upload]
    attempt: int


def plan_extras(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    components: list[str],
    now: datetime,
) -> Extras:
    """The extras to send for ``components``; InputProblems naming every input that is wrong."""
    problems: list[Problem] = []
    metrics: list[MetricValue] = []
    if inputs.metrics is not None:
        metrics += parse_metrics(inputs.metrics)  # checked when the inputs were read
    metrics += _from_reports(inputs, environ, problems)
    uploads = _uploads(inputs, run, environ, components, problems)
    given = [item.metric for item in metrics]
    twice = sorted({metric for metric in given if given.count(metric) > 1})
    if twice:
        problems.append(
            Problem("metrics", f"{twice[0]!r} is given twice (by metrics and a report); once")
        )
    if problems:
        raise InputProblems(problems)
    return Extras(components, metrics, rfc3339(now), run, uploads, run.run_attempt)


def _from_reports(
    inputs: ActionInputs, environ: Mapping[str, str], problems: list[Problem]
) -> list[MetricValue]:
    if inputs.coverage_report is None and inputs.test_report is None:
        return []
    from .reports import report_values  # only when a report is given

    return report_values(inputs, environ, problems)


def _uploads(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    components: list[str],
    problems: list[Problem],
) -> list[Upload]:
    if inputs.api_spec is None and inputs.package_lock is None:
        return []
    from .uploads import planned_uploads  # only when a file to upload is given

    return planned_uploads(inputs, run, environ, components, problems)
