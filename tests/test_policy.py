"""The fail-on table, whole: every failure under every setting, against docs/failures.md's table.

main() reaches the policy in two steps, both checked here without a network: what happened
(bad input, or a delivery's outcome) becomes a Failure, and fail-on decides whether that Failure
fails the step (exit code 1, an error) or only warns (exit code 0, a warning).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import get_args

import pytest

from compass_action import main as action
from compass_action.clients.compass_answers import read_answer
from compass_action.clients.delivery import DeliveryResult, Outcome
from compass_action.events.builder import build_event
from compass_action.events.identity import UpdateSequence
from compass_action.github.run_context import RunContext
from compass_action.inputs import ActionInputs, FailOn
from compass_action.policy import Failure, fail_on_fallback, fails_step
from compass_action.report.reporter import Reporter
from compass_action.send import SendResult
from tools.action_runner import REPO

from .conftest import COMPONENT

FAIL_ONS: tuple[FailOn, ...] = get_args(FailOn)

# docs/failures.md's rows, told apart by words only their first cell has.
_ROW_FAILURE = {
    "bad input": Failure.BAD_INPUT,
    "refused the event": Failure.COMPASS_REFUSED,
    "unreachable": Failure.UNAVAILABLE,
    "runner file": Failure.RUNNER_FILE,
}


def readme_table() -> dict[Failure, dict[str, bool]]:
    """The table under "`fail-on` decides what fails the step": failure -> fail-on -> fails."""
    text = (REPO / "docs" / "failures.md").read_text(encoding="utf-8")
    section = text.split("`fail-on` decides what fails the step:", 1)[1].strip().split("\n\n")[0]
    header, _rule, *rows = [line.strip("|").split("|") for line in section.splitlines()]
    settings = [re.sub(r"`| \(default\)", "", cell).strip() for cell in header[1:]]
    table: dict[Failure, dict[str, bool]] = {}
    for first, *cells in rows:
        [failure] = [f for words, f in _ROW_FAILURE.items() if words in first]
        verdicts = [cell.strip().split(",")[0] for cell in cells]
        assert set(verdicts) <= {"fails", "warns"}, verdicts
        table[failure] = {s: v == "fails" for s, v in zip(settings, verdicts, strict=True)}
    return table


def test_the_readme_table_names_every_setting_and_every_failure_a_person_can_cause() -> None:
    table = readme_table()
    assert set(table) == set(Failure) - {Failure.INTERNAL}
    for row in table.values():
        assert tuple(row) == FAIL_ONS


# A bug of ours is not in the table: it fails the step unless nothing may.
INTERNAL = {"config": True, "any": True, "never": False}


@pytest.mark.parametrize("fail_on", FAIL_ONS)
@pytest.mark.parametrize("failure", list(Failure))
def test_fails_step_is_the_readme_table(failure: Failure, fail_on: FailOn) -> None:
    expected = INTERNAL if failure is Failure.INTERNAL else readme_table()[failure]
    assert fails_step(failure, fail_on) is expected[fail_on]


@pytest.mark.parametrize(
    ("raw", "policy"),
    [
        ("config", "config"),
        ("any", "any"),
        ("never", "never"),
        (" Never\n", "never"),
        ("ANY", "any"),
        ("", "config"),
        (None, "config"),
        ("always", "config"),
        ("nevermore", "config"),
    ],
)
def test_a_fail_on_that_cannot_be_read_falls_back_to_config(raw: str | None, policy: str) -> None:
    assert fail_on_fallback(raw) == policy


# -- from a delivery's outcome to a Failure ----------------------------------------------------

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
RESULTS = {
    Outcome.ACCEPTED: DeliveryResult(Outcome.ACCEPTED, 1, read_answer(202, "", b""), "HTTP 202"),
    Outcome.REJECTED: DeliveryResult(Outcome.REJECTED, 1, read_answer(401, "", b""), "HTTP 401"),
    Outcome.UNTRUSTED: DeliveryResult(
        Outcome.UNTRUSTED, 1, None, "[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate"
    ),
    Outcome.UNAVAILABLE: DeliveryResult(
        Outcome.UNAVAILABLE, 3, None, "could not connect; no more retries within the timeout"
    ),
}
# What each outcome is under the policy: a refusal and an untrusted certificate are both the
# table's second row, something a person must fix; an acceptance is no failure at all.
OUTCOME_FAILURE: dict[Outcome, Failure | None] = {
    Outcome.ACCEPTED: None,
    Outcome.REJECTED: Failure.COMPASS_REFUSED,
    Outcome.UNTRUSTED: Failure.COMPASS_REFUSED,
    Outcome.UNAVAILABLE: Failure.UNAVAILABLE,
}


def test_every_outcome_has_a_failure_or_none() -> None:
    assert set(OUTCOME_FAILURE) == set(Outcome) == set(RESULTS)


def _context() -> RunContext:
    return RunContext.model_validate(
        {
            "repository": "acme/shop",
            "repository_id": "123456789",
            "run_id": 19_500_000_001,
            "run_attempt": 1,
            "run_number": 42,
            "job": "deploy",
            "workflow": "Deploy",
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "ref": "refs/heads/main",
            "ref_type": "branch",
            "ref_name": "main",
            "event_name": "push",
            "actor": "octocat",
            "event_path": None,
        }
    )


@pytest.mark.parametrize("fail_on", FAIL_ONS)
@pytest.mark.parametrize("outcome", list(Outcome))
def test_a_delivery_outcome_fails_the_step_as_the_table_says(
    outcome: Outcome, fail_on: FailOn
) -> None:
    inputs = ActionInputs.model_validate(
        {
            "component_id": COMPONENT,
            "state": "success",
            "environment": "production",
            "site": "https://acme.atlassian.net",
            "fail_on": fail_on,
        }
    )
    event = build_event(inputs, _context(), lambda: NOW, UpdateSequence(lambda: 0))
    out = io.StringIO()
    reporter = Reporter(github=True, debug_enabled=False, out=out, err=io.StringIO())

    code = action._report_delivery(reporter, inputs, event, SendResult(RESULTS[outcome]))

    failure = OUTCOME_FAILURE[outcome]
    fails = failure is not None and readme_table()[failure][fail_on]
    assert code == (1 if fails else 0)
    levels = re.findall(r"^::(error|warning) ", out.getvalue(), re.MULTILINE)
    assert levels == ([] if failure is None else ["error" if fails else "warning"])
