"""GitHub's published webhook payloads (tests/fixtures/webhooks, see SOURCE.md) as runs.

``run_for`` sets what the runner sets for a run triggered by the event: ``GITHUB_EVENT_NAME``,
``GITHUB_REF`` (a release's tag, a pull request's merge ref, ...) and the payload itself.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from tools.action_runner import Run

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"


@cache
def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of the payload, so a test may change fields of it."""
    return copy.deepcopy(_load(name))


def event_name_of(name: str) -> str:
    return name.split("/", 1)[0]


def ref_for(event_name: str, event: dict[str, Any]) -> tuple[str, str]:
    """``GITHUB_REF`` and ``GITHUB_SHA`` as the runner sets them for the event (GitHub's
    "Events that trigger workflows" page names both for every event)."""
    default_sha = "0123456789abcdef0123456789abcdef01234567"
    if event_name == "release":
        return f"refs/tags/{event['release']['tag_name']}", default_sha
    if event_name in ("pull_request", "pull_request_target"):
        return f"refs/pull/{event['number']}/merge", default_sha
    if event_name == "merge_group":
        group = event["merge_group"]
        return group["head_ref"], group["head_sha"]
    if event_name in ("deployment", "deployment_status"):
        deployment = event["deployment"]
        ref = deployment["ref"]
        ref = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
        return ref, deployment["sha"]
    if event_name == "push":
        return event["ref"], event["after"]
    if event_name == "delete":
        # A delete run is for the default branch: the deleted ref is only in the payload.
        return "refs/heads/master", default_sha
    ref = event.get("ref", "refs/heads/main")
    return ref, default_sha


def run_for(name: str, event: dict[str, Any] | None = None, **values: Any) -> Run:
    """A run triggered by the payload ``name`` (or ``event``, a changed copy of it)."""
    event = payload(name) if event is None else event
    event_name = event_name_of(name)
    ref, sha = ref_for(event_name, event)
    return Run(event_name=event_name, ref=ref, sha=sha, event=event, **values)
