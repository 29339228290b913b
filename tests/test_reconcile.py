"""reconcile's inputs and cursor, without the network (the stories: test_e2e_reconcile.py)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from compass_action.github.run_context import RunContext
from compass_action.inputs import ActionInputs, parse_window
from compass_action.limits import Deadline
from compass_action.reconcile import (
    CURSOR_FILE,
    Counts,
    Reconciling,
    cursor_key,
    read_cursor,
    reconcile_summary,
    write_cursor,
)
from compass_action.report.reporter import Reporter


@pytest.mark.parametrize(
    ("given", "window"),
    [("7d", timedelta(days=7)), ("90D", timedelta(days=90)), (" 12h ", timedelta(hours=12))],
)
def test_a_window_is_days_or_hours(given: str, window: timedelta) -> None:
    assert parse_window(given) == window


@pytest.mark.parametrize("given", ["2w", "0d", "401d", "7", "-3d", "7 days"])
def test_other_windows_are_refused_with_what_to_write(given: str) -> None:
    with pytest.raises(ValueError, match=r"7d|400d"):
        parse_window(given)


def test_the_cursor_round_trips_and_junk_in_it_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / CURSOR_FILE
    write_cursor(path, "k", {"19700000007": 2})
    out = io.StringIO()
    reporter = Reporter(github=True, debug_enabled=False, out=out)
    assert read_cursor(path, "k", reporter) == {"19700000007": 2}
    # Done for other components or filters: sent again.
    assert read_cursor(path, "other", reporter) == {}
    path.write_text('{"key": "k", "done": {"x": 1, "19700000014": "2", "19700000021": 1}}')
    assert read_cursor(path, "k", reporter) == {"19700000021": 1}
    path.write_text("not json")
    assert read_cursor(path, "k", reporter) == {}
    assert f"::warning title=reconcile::{path}" in out.getvalue()
    assert read_cursor(None, "k", reporter) == {}


def test_the_summary_charts_production_deployments_per_week() -> None:
    counts = Counts(runs=3, jobs=6, sent=9, accepted=9)
    counts.weeks = {"2026-11-16": [3, 1], "2026-11-09": [2, 0]}
    counts.skipped["job skipped"] = 2
    text = reconcile_summary(counts, "90d")
    assert '    x-axis ["2026-11-09", "2026-11-16"]' in text
    assert "    bar [2, 3]" in text and "    line [0, 1]" in text
    assert "| Skipped: job skipped | 2 |" in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("build-unit", "job"),
        ("jobs", "build"),
        ("build-branches", "release/*"),
        ("environment-categories", "{customer-portal: PRODUCTION}"),
        ("environment-category", "STAGING"),
        ("workflows", "CI"),
    ],
)
def test_the_cursor_is_for_the_inputs_that_decide_the_events(name: str, value: str) -> None:
    # Runs done under another build unit, filter or mapping are sent again, in the new way.
    run = RunContext.model_validate({"repository": "acme/shop", "repository_id": "1", "run_id": 1})
    plan = Reconciling(ActionInputs.model_validate({}), run, ["c"], Deadline(60))
    changed = Reconciling(
        ActionInputs.model_validate({name.replace("-", "_"): value}), run, ["c"], Deadline(60)
    )
    assert cursor_key(plan) != cursor_key(changed)
    assert cursor_key(plan) == cursor_key(
        Reconciling(ActionInputs.model_validate({}), run, ["c"], Deadline(60))
    )
