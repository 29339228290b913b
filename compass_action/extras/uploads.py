"""Uploads: the component's API spec and its package-lock.json (issue 21, items 3 and 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..github.run_context import RunContext
from ..inputs import ActionInputs
from ..problems import Problem
from ..report.reporter import Reporter
from .plan import Extras, Upload

if TYPE_CHECKING:
    from .flow import Row, _Sender


def planned_uploads(
    inputs: ActionInputs, run: RunContext, environ: Mapping[str, str], problems: list[Problem]
) -> list[Upload]:
    for name, value in (("api-spec", inputs.api_spec), ("package-lock", inputs.package_lock)):
        if value is not None:
            problems.append(Problem(name, "is not supported yet"))
    return []


def dry_upload_rows(reporter: Reporter, inputs: ActionInputs, extras: Extras) -> list[Row]:
    return []


def send_uploads(sender: _Sender) -> list[Row]:
    return []
