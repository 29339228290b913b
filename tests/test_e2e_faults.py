"""Compass faults, injected through the stand-in, seen through the action as the runner runs it.

main() runs in this process with the runner's environment and every wait skipped
(tests/inprocess.py), so back-off and budgets cost no real time; the two certificate cases run
entrypoint.py as a subprocess, where the trust store is the process's own.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools.action_runner import Run, StepResult, run_step
from tools.compass_standin import ScriptedAnswer, Standin

from .conftest import COMPONENT, EMAIL, TOKEN, credentials, scripted_standin
from .inprocess import InProcess

HTML_500 = ScriptedAnswer(
    500,
    "<!DOCTYPE html><html><head><title>Bad gateway</title></head><body>oops</body></html>",
    {"Content-Type": "text/html"},
)
COMPASS_400 = ScriptedAnswer(
    400, json.dumps({"errors": [{"type": "INVALID_INPUT", "message": "environment is wrong"}]})
)


def _step(server: Standin, workdir: Path, via: InProcess, **with_: str) -> StepResult:
    inputs = credentials(server) | {"environment": "production"} | with_
    return via(Run(), inputs, workdir, {"RUNNER_DEBUG": "1"})


def _assert_identical_bodies(server: Standin, count: int) -> None:
    bodies = server.bodies()
    assert len(bodies) == count
    assert len(set(bodies)) == 1, "a retry must re-send the identical body"


@pytest.mark.parametrize("fail_on", ["config", "any", "never"])
def test_503_503_then_202_is_delivered_on_the_third_attempt(
    fail_on: str, workdir: Path, in_process: InProcess
) -> None:
    script = [ScriptedAnswer(503, "busy"), ScriptedAnswer(503, "busy")]
    with scripted_standin(script) as server:
        result = _step(server, workdir, in_process, **{"fail-on": fail_on})
        _assert_identical_bodies(server, 3)
        assert len(server.events()) == 1

    assert result.exit_code == 0
    assert result.outputs["delivered"] == "true" and result.outputs["status"] == "202"
    assert result.stdout.count("Attempt ") == 2
    assert "HTTP 503" in result.stdout and "retrying in" in result.stdout
    backoff = in_process.waits.slept  # taken at once, as the fake clock moved on
    assert len(backoff) == 2 and 1 <= backoff[0] <= 2 and 2 <= backoff[1] <= 4


def test_429_with_retry_after_waits_as_asked(workdir: Path, in_process: InProcess) -> None:
    script = [ScriptedAnswer(429, "", {"Retry-After": "1"})]
    with scripted_standin(script) as server:
        result = _step(server, workdir, in_process)
        _assert_identical_bodies(server, 2)

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"
    assert "HTTP 429" in result.stdout
    assert "Compass asked to wait 1 s" in result.stdout
    assert "retrying in 1.0 s" in result.stdout
    assert in_process.waits.slept == [1.0]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# (exit code for fail-on config, any, never)
UNAVAILABLE = (0, 1, 0)
REJECTED = (1, 1, 0)


def _expect(codes: tuple[int, int, int], fail_on: str) -> int:
    return codes[["config", "any", "never"].index(fail_on)]


@pytest.mark.parametrize("fail_on", ["config", "any", "never"])
def test_connection_refused(fail_on: str, workdir: Path, in_process: InProcess) -> None:
    inputs = {
        "site": f"http://127.0.0.1:{_closed_port()}",
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": COMPONENT,
        "environment": "production",
        "timeout": "3",
        "fail-on": fail_on,
    }
    result = in_process(Run(), inputs, workdir)

    assert result.exit_code == _expect(UNAVAILABLE, fail_on)
    level = "error" if result.exit_code else "warning"
    assert f"::{level} title=Compass unavailable::" in result.stdout
    assert "could not connect" in result.stdout
    assert result.outputs["delivered"] == "false" and result.outputs["status"] == ""
    assert result.outputs["payload"]  # what was meant to be sent stays visible


@pytest.mark.parametrize("fail_on", ["config", "any", "never"])
def test_a_server_that_hangs_past_the_budget(
    fail_on: str, workdir: Path, in_process: InProcess
) -> None:
    with scripted_standin([ScriptedAnswer(202, hang=8)]) as server:
        result = _step(server, workdir, in_process, timeout="0.5", **{"fail-on": fail_on})
        assert len(server.bodies()) <= 1

    assert result.exit_code == _expect(UNAVAILABLE, fail_on)
    assert "no answer in time" in result.stdout
    assert result.outputs["delivered"] == "false"


@pytest.mark.parametrize("fail_on", ["config", "any", "never"])
def test_500_with_an_html_page_is_reported_not_crashed_on(
    fail_on: str, workdir: Path, in_process: InProcess
) -> None:
    with scripted_standin([HTML_500] * 10) as server:
        # Four seconds always leave room for a second attempt after the first wait (1 to 2 s).
        result = _step(server, workdir, in_process, timeout="4", **{"fail-on": fail_on})
        count = len(server.bodies())
        assert count >= 2
        _assert_identical_bodies(server, count)

    assert result.exit_code == _expect(UNAVAILABLE, fail_on)
    assert "HTML page titled 'Bad gateway'" in result.stdout
    assert result.outputs["status"] == "500" and result.outputs["delivered"] == "false"
    assert "Traceback" not in result.stdout + result.stderr


REJECTIONS: list[tuple[ScriptedAnswer, str, str]] = [
    (COMPASS_400, "Compass rejected the event", "INVALID_INPUT: environment is wrong"),
    (ScriptedAnswer(401, ""), "Input api-token", "did not accept the credentials"),
    (ScriptedAnswer(403, ""), "Input user-email", "may not add events to this component"),
    (
        ScriptedAnswer(404, json.dumps({"errors": [{"type": "CREATE_EVENT_SOURCE_NOT_FOUND"}]})),
        "Input component-id",
        "CREATE_EVENT_SOURCE_NOT_FOUND",
    ),
]


@pytest.mark.parametrize("fail_on", ["config", "any", "never"])
@pytest.mark.parametrize(("answer", "title", "says"), REJECTIONS)
def test_rejections_are_not_retried_and_say_what_to_fix(
    answer: ScriptedAnswer,
    title: str,
    says: str,
    fail_on: str,
    workdir: Path,
    in_process: InProcess,
) -> None:
    with scripted_standin([answer]) as server:
        # setup-event-source: never, as a 404 would otherwise set up the event source
        # (tests/test_e2e_event_sources.py).
        extra = {"fail-on": fail_on, "setup-event-source": "never"}
        result = _step(server, workdir, in_process, **extra)
        assert len(server.bodies()) == 1

    assert result.exit_code == _expect(REJECTED, fail_on)
    level = "error" if result.exit_code else "warning"
    assert f"::{level} title={title}::" in result.stdout
    assert says in result.stdout
    assert result.outputs["status"] == str(answer.status)
    assert result.outputs["delivered"] == "false"


def test_store_conflict_is_retried(workdir: Path, in_process: InProcess) -> None:
    conflict = ScriptedAnswer(
        409, json.dumps({"errors": [{"type": "STORE_CONFLICT_EXCEPTION", "message": "busy"}]})
    )
    with scripted_standin([conflict]) as server:
        result = _step(server, workdir, in_process)
        _assert_identical_bodies(server, 2)

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"


def test_a_redirect_is_not_followed(workdir: Path, in_process: InProcess) -> None:
    redirect = ScriptedAnswer(302, "", {"Location": "https://elsewhere.example.com/steal"})
    with scripted_standin([redirect]) as server:
        result = _step(server, workdir, in_process)
        assert len(server.bodies()) == 1

    assert result.exit_code == 1
    assert "::error title=Input site::" in result.stdout
    assert "elsewhere.example.com" in result.stdout


SECRET_FORMS = (
    TOKEN,
    base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode(),
    base64.b64encode(TOKEN.encode()).decode(),
)
ECHOING_400 = ScriptedAnswer(
    400,
    json.dumps(
        {"errors": [{"type": "ECHO", "message": f"token {SECRET_FORMS[0]} / {SECRET_FORMS[1]}"}]}
    ),
)


def _visible_text(result: StepResult) -> str:
    """All a person or a later step can see; add-mask lines are consumed by the runner."""
    stdout = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    return "\n".join([stdout, result.stderr, json.dumps(result.outputs), result.summary])


LEAK_SCENARIOS: list[tuple[str, list[ScriptedAnswer], dict[str, Any]]] = [
    ("accepted", [], {}),
    ("server error then give up", [HTML_500] * 10, {"timeout": "1.5"}),
    ("echoing 400", [ECHOING_400], {}),
    ("401", [ScriptedAnswer(401, "")], {}),
    ("403", [ScriptedAnswer(403, "")], {}),
    ("404", [ScriptedAnswer(404, "")], {}),
    ("429", [ScriptedAnswer(429, "", {"Retry-After": "100"})], {"timeout": "2"}),
    ("hang", [ScriptedAnswer(202, hang=5)], {"timeout": "0.5"}),
    ("bad input", [], {"state": "sideways", "started-at": TOKEN}),
    ("dry run", [], {"dry-run": "true"}),
]


@pytest.mark.parametrize(
    ("name", "script", "extra"), LEAK_SCENARIOS, ids=[s[0] for s in LEAK_SCENARIOS]
)
def test_the_token_never_shows(
    name: str,
    script: list[ScriptedAnswer],
    extra: dict[str, Any],
    workdir: Path,
    in_process: InProcess,
) -> None:
    with scripted_standin(script) as server:
        inputs = credentials(server) | {"environment": "production"} | extra
        result = in_process(Run(), inputs, workdir, {"RUNNER_DEBUG": "1"})

    visible = _visible_text(result)
    for secret in SECRET_FORMS:
        assert secret not in visible, f"{name}: a form of the token leaked"
    assert "Authorization" not in visible
    # The runner is told to mask the token and the Basic credentials before anything else.
    lines = result.stdout.splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert lines[: len(masks)] == masks
    assert {f"::add-mask::{TOKEN}", f"::add-mask::{SECRET_FORMS[1]}"} <= set(masks)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command.

    An EC P-256 key: made in milliseconds, where an RSA key takes about a second.
    """
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=compass-standin",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_an_untrusted_certificate_fails_at_once_and_names_the_site(
    certificate: tuple[Path, Path], workdir: Path
) -> None:
    with Standin(EMAIL, TOKEN, tls=certificate) as server:
        # A subprocess: the trust store is loaded as in the container, from its own environment.
        inputs = credentials(server) | {"environment": "production"}
        result = run_step(Run(), inputs, workdir, {"RUNNER_DEBUG": "1"})
        assert server.bodies() == []

    assert result.exit_code == 1  # with fail-on: config, as the site or runner needs fixing
    assert "::error title=Input site::" in result.stdout
    assert "certificate" in result.stdout and "SSL_CERT_FILE" in result.stdout
    assert "Attempt " not in result.stdout  # not retried


def test_a_certificate_authority_given_in_ssl_cert_file_is_trusted(
    certificate: tuple[Path, Path], workdir: Path
) -> None:
    with Standin(EMAIL, TOKEN, tls=certificate) as server:
        inputs = credentials(server) | {"environment": "production"}
        result = run_step(
            Run(), inputs, workdir, step_env_vars={"SSL_CERT_FILE": str(certificate[0])}
        )
        assert len(server.events()) == 1

    assert result.exit_code == 0 and result.outputs["delivered"] == "true"
