"""Hostile servers and a bad site, seen through main(): the exact message and exit code.

main() runs in this process with the environment the runner would give the container (built by
tools.action_runner.step_env), against the threaded stand-in: no subprocess, and waits are
skipped (tests/inprocess.py), so these stay fast; the sockets still take real time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tools.action_runner import Run, StepResult
from tools.compass_standin import ScriptedAnswer, Standin

from .conftest import COMPONENT, EMAIL, TOKEN, credentials, scripted_standin
from .inprocess import InProcess

SLACK = 2.0  # over the budget, for a busy machine; the hostile answers take far longer
NOT_RECORDED = "The event was not recorded: Compass could not be reached or stayed overloaded"


Step = Callable[..., tuple[StepResult, float]]


@pytest.fixture
def step(in_process: InProcess) -> Step:
    def run(
        with_: dict[str, str], workdir: Path, env_vars: dict[str, str] | None = None
    ) -> tuple[StepResult, float]:
        result = in_process(Run(), with_, workdir, env_vars)
        return result, in_process.took

    return run


def _inputs(server: Standin, **extra: str) -> dict[str, str]:
    return credentials(server) | {"environment": "production"} | extra


@pytest.mark.parametrize(
    ("fail_on", "code", "level"), [("config", 0, "warning"), ("any", 1, "error")]
)
def test_a_trickled_answer_ends_the_step_at_its_timeout(
    step: Step, workdir: Path, fail_on: str, code: int, level: str
) -> None:
    # Over 10 s to send; the step ends at its timeout, in real time, so that is short: 0.5 s.
    trickle = ScriptedAnswer(202, trickle=0.2, trickle_head=True)
    with scripted_standin([trickle]) as server:
        result, took = step(_inputs(server, timeout="0.5", **{"fail-on": fail_on}), workdir)

    assert result.exit_code == code
    assert (
        f"::{level} title=Compass unavailable::{NOT_RECORDED} (no answer in time (timeout); "
        "no more retries within the timeout of 0.5 s)." in result.stdout
    )
    assert result.outputs["delivered"] == "false" and result.outputs["status"] == ""
    assert took < 0.5 + SLACK


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (ScriptedAnswer(503, body_size=1 << 30), "a body larger than 64 KiB, not read further"),
        (ScriptedAnswer(503, gzip_bomb=64 << 20), "a body larger than 64 KiB, not read further"),
        (ScriptedAnswer(503, nest=20_000), 'a body that is not JSON: \'{"errors":[[[['),
    ],
    ids=["1 GiB body", "gzip bomb", "deep JSON"],
)
def test_hostile_error_bodies_are_described(
    step: Step, workdir: Path, answer: ScriptedAnswer, says: str
) -> None:
    with scripted_standin([answer]) as server:
        result, _ = step(_inputs(server, timeout="1.5", **{"fail-on": "any"}), workdir)

    assert result.exit_code == 1
    headline = f"::error title=Compass unavailable::{NOT_RECORDED} (HTTP 503, Compass is having"
    assert f"{headline} trouble ({says}" in result.stdout
    assert result.outputs["status"] == "503"


def test_a_retry_after_that_is_not_a_number_is_ignored(step: Step, workdir: Path) -> None:
    with scripted_standin([ScriptedAnswer(429, headers={"Retry-After": "²"})]) as server:
        result, _ = step(_inputs(server), workdir)
        assert len(server.received()) == 2

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"
    assert "Attempt 1 failed: HTTP 429, rate limited" in result.stdout
    assert "asked to wait" not in result.stdout  # the header was ignored; the backoff applied


def test_retry_after_zero_is_not_obeyed_to_the_letter(
    step: Step, workdir: Path, in_process: InProcess
) -> None:
    waits = in_process.waits
    with scripted_standin([ScriptedAnswer(429, headers={"Retry-After": "0"})] * 50) as server:
        result, took = step(_inputs(server, timeout="3"), workdir)
        requests = len(server.received())

    assert result.outputs["delivered"] == "false"
    assert "Compass asked to wait 0 s); retrying in 1.0 s" in result.stdout
    assert 2 <= requests <= 3  # one a second at most within the 3 s (it once sent 101 in 60 s)
    assert took < 3 + SLACK
    assert all(wait >= 1 for wait in waits.slept) and sum(waits.slept) <= 3  # all within budget


def test_plain_http_never_goes_through_the_proxy_from_the_environment(
    step: Step, workdir: Path
) -> None:
    with Standin(EMAIL, TOKEN) as proxy, scripted_standin([ScriptedAnswer(202)]) as server:
        # The step's environment is the process's whole environment (no NO_PROXY in it).
        names = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
        result, _ = step(_inputs(server), workdir, dict.fromkeys(names, proxy.base_url))
        assert proxy.received() == []
        assert [item.authorized for item in server.received()] == [True]

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"


@pytest.mark.parametrize(
    ("site", "says"),
    [
        ("http://127.0.0.1:70000", "the port must be a number from 1 to 65535, not '70000'"),
        ("https://acme.atlassian.net:0", "the port must be a number from 1 to 65535, not '0'"),
        ("http://compass.localhost:8080", "plain http:// would send the API token unencrypted"),
    ],
)
def test_a_bad_site_is_an_input_problem_before_any_request(
    step: Step, workdir: Path, site: str, says: str
) -> None:
    inputs = {
        "site": site,
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": COMPONENT,
        "environment": "production",
    }
    result, _ = step(inputs, workdir)

    assert result.exit_code == 1
    assert "::error title=Input site::" in result.stdout
    assert says in result.stdout
    assert result.outputs["delivered"] == "false"
