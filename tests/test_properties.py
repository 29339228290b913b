"""Any combination of inputs gives a valid Compass request or clear problems, never a crash."""

from __future__ import annotations

import io
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from compass_action.inputs import ActionInputs, is_component_slug
from compass_action.limits import Deadline
from compass_action.prepare import Skipped, prepare
from compass_action.problems import InputProblems
from compass_action.reconcile import Reconciling
from compass_action.report.reporter import Reporter
from tools.action_runner import ACTION
from tools.compass_contract import contract_errors

from .conftest import COMPONENT, TOKEN

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
_FOLDER = tempfile.TemporaryDirectory()  # removed when the process ends
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
    "event-type": either(
        "deployment",
        "build",
        "BUILD",
        "push",
        "custom",
        "lifecycle",
        "flag",
        "alert",
        "incident",
        "Vulnerability",
        "pull-request",
        "",
    ),
    "event-id": either("", "INC-1", "CVE-2026-12345", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
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
        "open",
        "resolved",
        "remediated",
        "opened",
        "closed",
        "on",
        "OFF",
        "end-of-life",
        "production",
        "",
    ),
    "severity": either("", "sev2", "3", "ONE", "high", "critical", "p1", "P9"),
    "icon": either("", "info", "CHECKPOINT", "bell"),
    "properties": either(
        "",
        "{score: 9.8}",
        "{score: high}",
        "[1]",
        "{author: {name: Mona}}",
        "{branchName: main}",
        "{severity: {label: Sev 2}}",
        "{id: ''}",
        "a: &x [1]\nb: *x",
        "{: ",
        "x: 1\n" * 3000,
    ),
    "incident-label": either("incident", "bug", ""),
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
    "ended-at": either("", "2026-01-02T00:00:00Z", "2999-01-01T00:00:00Z", "today"),
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
    "GITHUB_EVENT_NAME": either(
        "push", "release", "deployment", "deployment_status", "issues", "workflow_dispatch", ""
    ),
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
    st.builds(
        lambda action, labels, state, closed_at, number: json.dumps(
            {
                "action": action,
                "label": {"name": "incident"},
                "issue": {
                    "number": number,
                    "title": "Checkout is down",
                    "state": state,
                    "labels": [{"name": label} for label in labels],
                    "created_at": "2026-11-20T08:00:00Z",
                    "updated_at": "2026-11-20T09:00:00Z",
                    "closed_at": closed_at,
                },
            }
        ),
        st.one_of(junk, st.sampled_from(["opened", "labeled", "unlabeled", "closed", "deleted"])),
        st.lists(st.one_of(junk, st.sampled_from(["incident", "bug", "sev2", "severity:low"]))),
        st.sampled_from(["open", "closed"]),
        st.one_of(st.none(), junk, st.just("2026-11-20T09:00:00Z")),
        st.one_of(st.integers(), junk),
    ),
    st.builds(
        lambda ref, after, head: json.dumps(
            {"ref": ref, "after": after, "deleted": False, "head_commit": head}
        ),
        st.sampled_from(["refs/heads/main", "refs/tags/v1"]),
        st.one_of(junk, st.just("0" * 40)),
        st.one_of(
            st.none(),
            junk,
            st.fixed_dictionaries(
                {"id": junk, "message": junk, "author": st.fixed_dictionaries({"name": junk})}
            ),
        ),
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


# A working configuration of each kind, which the mutations start from.
VALID_BY_KIND: dict[str, dict[str, str]] = {
    "deployment": {"state": "success", "environment": "production"},
    "build": {"event-type": "build", "state": "success"},
    "push": {"event-type": "push", "state": "", "event-id": "6113728f27ae"},
    "custom": {"event-type": "custom", "state": "", "display-name": "Migration 42 applied"},
    "lifecycle": {"event-type": "lifecycle", "event-id": "shop-api", "state": "production"},
    "flag": {"event-type": "flag", "event-id": "new-checkout", "state": "on"},
    "alert": {"event-type": "alert", "event-id": "PD-1", "state": "", "severity": "P2"},
    "incident": {"event-type": "incident", "event-id": "INC-1", "state": ""},
    "vulnerability": {
        "event-type": "vulnerability",
        "event-id": "CVE-2026-12345",
        "state": "",
        "severity": "HIGH",
    },
}


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=MUTATIONS, payload=EVENT_PAYLOADS)
# Found by this test: a one-character slug reached build_event unlooked-up (the resolver).
@example(changes={"component-id": "0"}, payload="")
def test_inputs_give_a_valid_request_or_named_problems(
    changes: dict[str, str], payload: str
) -> None:
    check_inputs(VALID_INPUTS | VALID_RUN | changes, payload)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(VALID_BY_KIND)), changes=MUTATIONS, payload=EVENT_PAYLOADS)
def test_every_kind_gives_a_valid_request_or_named_problems(
    kind: str, changes: dict[str, str], payload: str
) -> None:
    base = {name: value for name, value in VALID_INPUTS.items() if name != "environment"}
    check_inputs(base | VALID_BY_KIND[kind] | VALID_RUN | changes, payload)


def _look_up(inputs: ActionInputs, found: list[str], deadline: Deadline) -> list[str]:
    """Compass's answer to a slug's lookup (main.py's resolver): the component's ARI."""
    return [COMPONENT if is_component_slug(item) else item for item in found]


def check_inputs(values: dict[str, str], payload: str) -> None:
    """A valid request, a skip with its reason, or one clear problem per input named."""
    env = {
        (name if name.startswith("GITHUB_") else f"COMPASS_{name.upper().replace('-', '_')}"): value
        for name, value in values.items()
        if "\x00" not in value
    }
    # One folder for every example (each writes its payload afresh), and the environment as a
    # plain mapping in place of os.environ: hundreds of examples, none making a folder or
    # setting the process's real variables one by one.
    event_path = Path(_FOLDER.name) / "event.json"
    event_path.write_text(payload, encoding="utf-8")
    env["GITHUB_EVENT_PATH"] = str(event_path)
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("COMPASS_", "GITHUB_"))}
    with mock.patch.object(os, "environ", kept | env):
        reporter = Reporter(github=True, debug_enabled=False, out=io.StringIO())
        try:
            prepared = prepare(reporter, os.environ, NOW, resolve=_look_up)
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
    if isinstance(prepared, Reconciling):  # sends what GitHub's API gives: test_e2e_reconcile
        event("reconcile")
        return
    assert contract_errors(prepared.event.body) == []
    event(f"valid {prepared.event.event_type.value}")
