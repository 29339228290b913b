"""Hostile servers and a bad site, seen through main(): the exact message and exit code.

main() runs in this process with the environment the runner would give the container (built by
tools.action_runner.step_env), against the threaded stand-in: no subprocess, so these stay fast.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from compass_action import delivery
from compass_action.main import main
from tools.action_runner import Run, StepResult, parse_output_file, step_env
from tools.compass_standin import ScriptedAnswer, Standin

from .conftest import COMPONENT, EMAIL, TOKEN, credentials, scripted_standin

SLACK = 2.0  # over the budget, for a busy machine; the hostile answers take far longer
NOT_RECORDED = "The event was not recorded: Compass could not be reached or stayed overloaded"


class InProcess:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self._monkeypatch, self._capsys = monkeypatch, capsys

    def __call__(self, with_: dict[str, str], workdir: Path) -> tuple[StepResult, float]:
        workdir.mkdir(parents=True, exist_ok=True)
        env = step_env(Run(), with_, workdir)
        for name in list(os.environ):
            if name.startswith(("COMPASS_", "INPUT_", "GITHUB_", "RUNNER_")):
                self._monkeypatch.delenv(name)
        for name, value in env.items():
            self._monkeypatch.setenv(name, value)
        # A fresh rate-limit pacer, as a fresh process has.
        self._monkeypatch.setattr(delivery, "_PACERS", {})
        started = time.monotonic()
        code = main()
        took = time.monotonic() - started
        out, err = self._capsys.readouterr()
        result = StepResult(
            exit_code=code,
            stdout=out,
            stderr=err,
            outputs=parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
            summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
            env=env,
        )
        assert "Traceback" not in out + err and "failed unexpectedly" not in out + err
        return result, took


@pytest.fixture
def step(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcess:
    return InProcess(monkeypatch, capsys)


def _inputs(server: Standin, **extra: str) -> dict[str, str]:
    return credentials(server) | {"environment": "production"} | extra


@pytest.mark.parametrize(
    ("fail_on", "code", "level"), [("config", 0, "warning"), ("any", 1, "error")]
)
def test_a_trickled_answer_ends_the_step_at_its_timeout(
    step: InProcess, workdir: Path, fail_on: str, code: int, level: str
) -> None:
    trickle = ScriptedAnswer(202, trickle=0.2, trickle_head=True)  # over 10 s to send
    with scripted_standin([trickle]) as server:
        result, took = step(_inputs(server, timeout="2", **{"fail-on": fail_on}), workdir)

    assert result.exit_code == code
    assert (
        f"::{level} title=Compass unavailable::{NOT_RECORDED} (no answer in time (timeout); "
        "no more retries within the timeout of 2 s)." in result.stdout
    )
    assert result.outputs["delivered"] == "false" and result.outputs["status"] == ""
    assert took < 2 + SLACK


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
    step: InProcess, workdir: Path, answer: ScriptedAnswer, says: str
) -> None:
    with scripted_standin([answer]) as server:
        result, _ = step(_inputs(server, timeout="1.5", **{"fail-on": "any"}), workdir)

    assert result.exit_code == 1
    headline = f"::error title=Compass unavailable::{NOT_RECORDED} (HTTP 503, Compass is having"
    assert f"{headline} trouble ({says}" in result.stdout
    assert result.outputs["status"] == "503"


def test_a_retry_after_that_is_not_a_number_is_ignored(step: InProcess, workdir: Path) -> None:
    with scripted_standin([ScriptedAnswer(429, headers={"Retry-After": "²"})]) as server:
        result, _ = step(_inputs(server), workdir)
        assert len(server.received()) == 2

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"
    assert "Attempt 1 failed: HTTP 429, rate limited" in result.stdout
    assert "asked to wait" not in result.stdout  # the header was ignored; the backoff applied


def test_retry_after_zero_is_not_obeyed_to_the_letter(step: InProcess, workdir: Path) -> None:
    with scripted_standin([ScriptedAnswer(429, headers={"Retry-After": "0"})] * 50) as server:
        result, took = step(_inputs(server, timeout="3"), workdir)
        requests = len(server.received())

    assert result.outputs["delivered"] == "false"
    assert "Compass asked to wait 0 s); retrying in 1.0 s" in result.stdout
    assert requests <= 3  # one a second at most, within the 3 s
    assert took < 3 + SLACK


def test_plain_http_never_goes_through_the_proxy_from_the_environment(
    step: InProcess, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Standin(EMAIL, TOKEN) as proxy, scripted_standin([ScriptedAnswer(202)]) as server:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.base_url)
        result, _ = step(_inputs(server), workdir)
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
    step: InProcess, workdir: Path, site: str, says: str
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
