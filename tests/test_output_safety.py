"""Hostile values and hostile answers against the whole action, run in this process.

``main.start`` runs with the environment the runner would give the container (from action.yml,
as in the end-to-end tests) and a reporter that writes to memory, so hundreds of examples take
seconds. The oracle for workflow commands is ``runner_model``, a model of the runner's parser.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tools.action_runner import Run, SkippedWaits, parse_output_file, start_in_process, step_env
from tools.compass_standin import ScriptedAnswer, Standin

from .conftest import COMPONENT, EMAIL, TOKEN, whole_run_examples
from .runner_model import commands_in
from .test_report import RecordingReporter
from .test_text import hostile_text


@dataclass
class Step:
    exit_code: int
    stdout: str
    stderr: str
    outputs: str
    summary: str
    meant: list[str]  # the workflow commands the reporter printed on purpose

    @property
    def printed(self) -> str:
        return self.stdout + self.stderr


def run_in_process(env: Mapping[str, str]) -> Step:
    """The action as ``entrypoint.py`` runs it, ``env`` its whole environment, waits skipped."""
    out, err = io.StringIO(), io.StringIO()
    reporter = RecordingReporter.from_environ(env)
    assert isinstance(reporter, RecordingReporter)
    reporter.out, reporter.err = out, err
    code = start_in_process(env, reporter, SkippedWaits())  # back-off costs no real time

    def read(name: str) -> str:
        return Path(env[name]).read_text(encoding="utf-8") if env.get(name) else ""

    return Step(
        code,
        out.getvalue(),
        err.getvalue(),
        read("GITHUB_OUTPUT"),
        read("GITHUB_STEP_SUMMARY"),
        reporter.meant,
    )


def assert_no_forged_command(step: Step) -> None:
    assert [command.name for command in commands_in(step.printed)] == step.meant
    assert "##[" not in step.printed
    assert "stop-commands" not in step.meant


# -- any input value, anywhere in the output ---------------------------------------------------

# The inputs whose value reaches the log as given (free text, or checked only loosely).
FREE_TEXT = (
    "environment",
    "environment-id",
    "pipeline-id",
    "display-name",
    "description",
    "external-event-source-id",
)


def _env_safe(value: str) -> str:
    return value.replace("\x00", "0")  # the one character no environment variable can hold


def _twin(value: str) -> str:
    """A harmless value that the action treats alike: same length, same outer white space."""
    core = value.strip()
    if not core:
        return value
    start = value.index(core[0])
    return value[:start] + "x" * len(core) + value[start + len(core) :]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _dry_run_env(
    folder: Path, values: Mapping[str, str], payload_env: str, github: bool, outputs: bool
) -> dict[str, str]:
    deployment = {"id": 145988746, "environment": payload_env}
    run = Run(event={"deployment": deployment}, event_name="deployment")
    workdir = folder / "step"
    workdir.mkdir(exist_ok=True)
    (workdir / "event.json").unlink(missing_ok=True)
    # The category is given, so that a name and its twin are logged the same way: which words a
    # name has changes the category and whether a warning is printed, not what may be printed.
    fixed = {"component-id": COMPONENT, "dry-run": "true", "environment-category": "TESTING"}
    env = step_env(run, fixed | dict(values), workdir)
    env["RUNNER_DEBUG"] = "1"
    if not github:
        env["GITHUB_ACTIONS"] = "false"
    if not outputs:
        env["GITHUB_OUTPUT"] = ""
    return env


@settings(
    max_examples=whole_run_examples(),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.fixed_dictionaries({}, optional=dict.fromkeys(FREE_TEXT, hostile_text)),
    url=hostile_text,
    payload_env=hostile_text,
    github=st.booleans(),
    outputs=st.booleans(),
)
@example(
    values={
        "environment": "prod\n::error::forged",
        "pipeline-id": "p ##[stop-commands]t",
        "environment-id": "\x1b[31mred\u2028::warning::x",
        "description": "d\r##[set-output name=delivered]true",
        "display-name": "\u00ad::add-mask::everything",
        "external-event-source-id": "s\x85::error::x",
    },
    url="x\n::error::u",
    payload_env="e\n##[error]p",
    github=True,
    outputs=False,
)
def test_no_input_value_can_make_or_forge_a_log_line(
    folder: Path,
    values: dict[str, str],
    url: str,
    payload_env: str,
    github: bool,
    outputs: bool,
) -> None:
    given_values = {name: _env_safe(value) for name, value in values.items()}
    given_values["url"] = _env_safe(url)
    payload_env = _env_safe(payload_env)
    twins = {name: _twin(value) for name, value in given_values.items()}
    for inputs in (given_values, twins):
        inputs["url"] = "https://ci.example.com/" + inputs["url"].strip()

    step = run_in_process(_dry_run_env(folder, given_values, payload_env, github, outputs))
    assert_no_forged_command(step)
    twin = run_in_process(_dry_run_env(folder, twins, _twin(payload_env), github, outputs))
    assert len(step.printed.splitlines()) == len(twin.printed.splitlines())
    assert step.exit_code == twin.exit_code


# The inputs that are checked and quoted back in the problem when wrong.
CHECKED = (
    "site",
    "component-id",
    "cloud-id",
    "event-type",
    "state",
    "environment-category",
    "sequence-number",
    "update-sequence-number",
    "url",
    "started-at",
    "timeout",
    "check-run-id",
    "user-email",
)


@settings(
    max_examples=whole_run_examples(),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.fixed_dictionaries({}, optional=dict.fromkeys(CHECKED, hostile_text)),
    github=st.booleans(),
)
@example(
    values={
        "sequence-number": "1\n::error::forged",
        "timeout": "##[stop-commands]t",
        "started-at": "\u2028::add-mask::x",
        "site": "http://e.example/\n##[error]",
        "event-type": "\x1b[2J::warning::",
    },
    github=True,
)
def test_no_quoted_bad_input_can_make_a_command(
    folder: Path, values: dict[str, str], github: bool
) -> None:
    given_values = {name: _env_safe(value) for name, value in values.items()}
    step = run_in_process(_dry_run_env(folder, given_values, "production", github, True))
    assert_no_forged_command(step)
    assert "Traceback" not in step.printed


# -- no form of the secret, anywhere --------------------------------------------------------------

BASIC = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
TOKEN_B64 = base64.b64encode(TOKEN.encode()).decode()
SECRET_FORMS = [
    TOKEN,
    BASIC,
    TOKEN_B64,
    quote(BASIC, safe=""),
    quote(BASIC, safe="").lower(),
    quote_plus(TOKEN_B64),
    quote(TOKEN, safe=""),
    BASIC.replace("/", "\\/"),
]
ECHOED = (
    "".join(f" {form} {form.lower()} {form.upper()} " for form in SECRET_FORMS)
    + f" Authorization: Basic {BASIC}"
)
ECHO_PAGE = ScriptedAnswer(
    500,
    f"<html><head><title>Bad gateway {BASIC}</title></head><body>{ECHOED}</body></html>",
    {"Content-Type": "text/html", "Retry-After": "0"},
)
ECHO_TEXT = ScriptedAnswer(502, f"upstream said:{ECHOED}", {"Retry-After": "0"})
ECHO_ERRORS = json.dumps(
    {"errors": [{"type": "BAD_REQUEST", "message": f"bad request{ECHOED}"}] * 3}
)


def _leaks(step: Step) -> list[str]:
    """Every secret form found in what a person or a later step can see."""
    seen = "\n".join(
        line for line in step.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    everything = "\n".join([seen, step.stderr, step.outputs, step.summary])
    everything += html.unescape(everything.replace("<span>", "").replace("</span>", ""))
    everything = everything.lower()
    return [form for form in SECRET_FORMS if form.lower() in everything] + [
        f"8 characters of {name}"
        for name, form in (("the token", TOKEN), ("the Basic credentials", BASIC))
        if any(form[i : i + 8].lower() in everything for i in range(len(form) - 7))
    ]


LEAK_CASES: dict[str, tuple[list[ScriptedAnswer], dict[str, str]]] = {
    "4xx echoing every form": ([ScriptedAnswer(400, ECHO_ERRORS)], {}),
    "401 echoing every form": ([ScriptedAnswer(401, f"denied{ECHOED}")], {}),
    "403 echoing as JSON": ([ScriptedAnswer(403, ECHO_ERRORS)], {}),
    "404 not JSON": ([ScriptedAnswer(404, ECHOED)], {}),
    "5xx HTML page then accepted": ([ECHO_PAGE], {}),
    "5xx text then accepted": ([ECHO_TEXT], {}),
    "redirect to a URL with the token": (
        [ScriptedAnswer(302, "", {"Location": f"https://e.example/?t={TOKEN}&b={BASIC}"})],
        {},
    ),
    "token in another input": ([], {"started-at": TOKEN, "environment": BASIC}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[Standin]:
    """One stand-in for the module: stopping one takes half a second."""
    with Standin(EMAIL, TOKEN) as standin:
        yield standin


@pytest.mark.parametrize("lower_case", [False, True], ids=["COMPASS_API_TOKEN", "lower case"])
@pytest.mark.parametrize(("script", "extra"), LEAK_CASES.values(), ids=LEAK_CASES.keys())
def test_no_form_of_the_secret_shows_anywhere(
    server: Standin,
    script: list[ScriptedAnswer],
    extra: dict[str, str],
    lower_case: bool,
    tmp_path: Path,
) -> None:
    with server.state.lock:
        server.state.script = list(script)
    inputs = {
        "site": server.base_url,
        "user-email": EMAIL,
        "component-id": COMPONENT,
        "environment": "production",
        "timeout": "5",
        **extra,
    }
    env = step_env(Run(), inputs, tmp_path)
    env["RUNNER_DEBUG"] = "1"
    # The workflow's env: wins over the input; a lower-case name is read all the same.
    env["compass_api_token" if lower_case else "COMPASS_API_TOKEN"] = TOKEN
    step = run_in_process(env)

    assert _leaks(step) == []
    assert_no_forged_command(step)
    masks = [line for line in step.stdout.splitlines() if line.startswith("::add-mask::")]
    assert step.stdout.splitlines()[: len(masks)] == masks  # masked before anything else
    assert {f"::add-mask::{TOKEN}", f"::add-mask::{BASIC}", f"::add-mask::{TOKEN_B64}"} <= set(
        masks
    )


def test_the_lower_case_token_is_the_one_used(server: Standin, tmp_path: Path) -> None:
    inputs = {
        "site": server.base_url,
        "user-email": EMAIL,
        "component-id": COMPONENT,
        "environment": "production",
    }
    env = step_env(Run(), inputs, tmp_path)
    env["compass_api_token"] = TOKEN
    received = len(server.bodies())
    step = run_in_process(env)
    assert step.exit_code == 0
    assert parse_output_file(step.outputs)["delivered"] == "true"
    assert len(server.bodies()) == received + 1


HOSTILE_BODY = (
    "busy\n::error::forged\r##[stop-commands]t\n::t::\x1b[31mred\u2028::warning::x |\n# h"
)
HARMLESS_BODY = "busy " + "x" * (len(HOSTILE_BODY) - 5)


def _html(body: str) -> list[ScriptedAnswer]:
    page = f"<html><title>{body}</title></html>"
    return [ScriptedAnswer(502, page, {"Content-Type": "text/html", "Retry-After": "0"})]


HOSTILE_ANSWERS: dict[str, Callable[[str], list[ScriptedAnswer]]] = {
    "5xx text, in the retry line": lambda body: [ScriptedAnswer(503, body, {"Retry-After": "0"})],
    "5xx HTML title, in the retry line": _html,
    "400 Compass errors": lambda body: [
        ScriptedAnswer(400, json.dumps({"errors": [{"type": body, "message": body}]}))
    ],
    "404 not JSON": lambda body: [ScriptedAnswer(404, body)],
    # A header holds printable ASCII only (h11 refuses the rest).
    "redirect": lambda body: [
        ScriptedAnswer(
            301,
            "",
            {"Location": "https://e.example/" + "".join(c for c in body if " " <= c <= "~")},
        )
    ],
}


@pytest.mark.parametrize("github", [True, False], ids=["GitHub", "elsewhere"])
@pytest.mark.parametrize("answers", HOSTILE_ANSWERS.values(), ids=HOSTILE_ANSWERS.keys())
def test_no_server_answer_can_make_a_command_or_a_line(
    server: Standin,
    answers: Callable[[str], list[ScriptedAnswer]],
    github: bool,
    tmp_path: Path,
) -> None:
    def answered(body: str) -> Step:
        with server.state.lock:
            server.state.script = answers(body)
            # Both runs meet the same Compass: with no event source set up yet (a 404 has the
            # first run set one up, which the module's earlier tests may or may not have done).
            server.state.graphql.sources.clear()
            server.state.graphql.attachments.clear()
        inputs = {
            "site": server.base_url,
            "user-email": EMAIL,
            "api-token": TOKEN,
            "component-id": COMPONENT,
            "environment": "production",
        }
        env = step_env(Run(), inputs, tmp_path, {"RUNNER_DEBUG": "1"})
        if not github:
            env["GITHUB_ACTIONS"] = "false"
        return run_in_process(env)

    step, harmless = answered(HOSTILE_BODY), answered(HARMLESS_BODY)
    assert_no_forged_command(step)
    assert len(step.printed.splitlines()) == len(harmless.printed.splitlines())
    assert len(step.summary.splitlines()) == len(harmless.summary.splitlines())
