"""Any combination of inputs gives a valid Compass request or clear problems, never a crash."""

from __future__ import annotations

import io
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from compass_action.prepare import Skipped, prepare
from compass_action.problems import InputProblems
from compass_action.report.reporter import Reporter
from tools.action_runner import ACTION
from tools.compass_contract import contract_errors

from .conftest import COMPONENT, TOKEN

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
junk = st.text(max_size=300)
# What os.environ makes of bytes that are not UTF-8: lone surrogates.
undecodable = st.builds(lambda a, b: f"{a}\udcff{b}", st.text(max_size=10), st.text(max_size=10))


def either(*choices: object) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([str(choice) for choice in choices]), junk, undecodable)


INPUT_VALUES: dict[str, st.SearchStrategy[str]] = {
    "site": either(
        "acme",
        "acme.atlassian.net",
        "https://acme.atlassian.net",
        "http://127.0.0.1:1",
        "http://x.com",
        "https://acme.atlassian.net/compass",
        "",
    ),
    "user-email": either("me@example.com", ""),
    "api-token": either(TOKEN, "tok", ""),
    "component-id": either(COMPONENT, "", "ari:cloud:compass:x:component/a"),
    "cloud-id": either("", COMPONENT.split(":")[3], "other"),
    "event-type": either("deployment", "build", "BUILD", "push", ""),
    "state": either(
        "success",
        "failure",
        "cancelled",
        "in_progress",
        "pending",
        "rolled_back",
        "error",
        "timed_out",
        "unknown",
        "",
    ),
    "environment": either("production", "staging", "prod-eu", "x" * 400, ""),
    "environment-category": either("", "production", "UNMAPPED", "prodish"),
    "environment-id": either("", "env-1"),
    "pipeline-id": either("", "pipe"),
    "sequence-number": either("", "0", "12", "-1", str(2**53), "1e3"),
    "update-sequence-number": either("", "1", str(2**53 - 1), str(2**63)),
    "external-event-source-id": either("", "src"),
    "display-name": either("", "x" * 256),
    "description": either("", "d" * 1000),
    "url": either("", "https://example.com/x", "ftp://x", "nope"),
    "started-at": either(
        "",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "2999-01-01T00:00:00Z",
        "yesterday",
        "0001-01-01T00:00:00+01:00",
        "0999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
    ),
    "dry-run": either("true", "false", "", "maybe"),
    "fail-on": either("config", "any", "never", "", "sometimes"),
    "timeout": either("60", "0", "-1", "1e9", "nan", ""),
    "check-run-id": either("", "51725241954", "0", "x"),
}
RUN_VALUES: dict[str, st.SearchStrategy[str]] = {
    "GITHUB_REPOSITORY": either("acme/shop", ""),
    "GITHUB_REPOSITORY_ID": either("123", ""),
    "GITHUB_RUN_ID": either("19500000001", "", "abc", str(2**60)),
    "GITHUB_RUN_ATTEMPT": either("1", "2", "1000", "0", ""),
    "GITHUB_RUN_NUMBER": either("42", ""),
    "GITHUB_JOB": either("deploy", ""),
    "GITHUB_REF": either("refs/heads/main", "refs/tags/v1.0.0", ""),
    "GITHUB_REF_TYPE": either("branch", "tag", ""),
    "GITHUB_EVENT_NAME": either("push", "release", "deployment", "deployment_status", ""),
    "GITHUB_SHA": either("0123456789abcdef", ""),
}
EVENT_PAYLOADS = st.one_of(
    st.just(""),
    st.just("not json"),
    st.builds(
        lambda env, ident, state: json.dumps(
            {"deployment": {"id": ident, "environment": env}, "deployment_status": {"state": state}}
        ),
        st.one_of(junk, st.integers()),
        st.one_of(junk, st.integers()),
        st.one_of(junk, st.sampled_from(["success", "inactive", "queued", "error"])),
    ),
    st.builds(
        lambda tag, ident, action, prerelease: json.dumps(
            {
                "action": action,
                "release": {"tag_name": tag, "id": ident, "prerelease": prerelease},
            }
        ),
        junk,
        st.one_of(junk, st.integers()),
        st.one_of(junk, st.sampled_from(["published", "edited", "released"])),
        st.one_of(st.booleans(), junk),
    ),
)
KNOWN_INPUTS = set(ACTION["inputs"]) | set(RUN_VALUES)


VALID_INPUTS = {
    "site": "acme",
    "user-email": "me@example.com",
    "api-token": TOKEN,
    "component-id": COMPONENT,
    "state": "success",
    "environment": "production",
}
VALID_RUN = {
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_REPOSITORY_ID": "123",
    "GITHUB_RUN_ID": "19500000001",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_JOB": "deploy",
    "GITHUB_REF": "refs/heads/main",
}
ALL_VALUES = INPUT_VALUES | RUN_VALUES
# A working configuration with up to five things changed: close enough to valid that most
# examples reach the request, varied enough that every input is tried with odd values.
MUTATIONS = st.lists(st.sampled_from(sorted(ALL_VALUES)), max_size=5, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: ALL_VALUES[key] for key in keys})
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=MUTATIONS, payload=EVENT_PAYLOADS)
def test_inputs_give_a_valid_request_or_named_problems(
    changes: dict[str, str], payload: str
) -> None:
    values = VALID_INPUTS | VALID_RUN | changes
    env = {
        (name if name.startswith("GITHUB_") else f"COMPASS_{name.upper().replace('-', '_')}"): value
        for name, value in values.items()
        if "\x00" not in value
    }
    with tempfile.TemporaryDirectory() as folder:
        event_path = Path(folder) / "event.json"
        event_path.write_text(payload, encoding="utf-8")
        env["GITHUB_EVENT_PATH"] = str(event_path)
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "GITHUB_"))}
        with mock.patch.dict(os.environ, kept | env, clear=True):
            reporter = Reporter(github=True, debug_enabled=False, out=io.StringIO())
            try:
                prepared = prepare(reporter, os.environ, NOW)
            except InputProblems as exc:
                assert exc.problems
                names = [problem.input for problem in exc.problems]
                assert len(names) == len(set(names)), names  # one problem per input
                for problem in exc.problems:
                    assert problem.input in KNOWN_INPUTS, problem
                    assert problem.message.strip()
                event("problems")
                return
    if isinstance(prepared, Skipped):
        assert prepared.reason.strip()
        event("skipped")
        return
    assert contract_errors(prepared.event.body) == []
    event(f"valid {prepared.event.event_type.value}")
