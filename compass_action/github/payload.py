"""What the triggering GitHub event says: the release, the GitHub deployment, the ref.

The runner hands every step the webhook payload of the event that started the run. Several
payloads carry the truth about a deployment that the run itself does not: which release a
``release`` run is for and whether it is a pre-release, which GitHub deployment and status a
``deployment_status`` run reports, whether a push deleted its ref. Only the fields read here are
trusted, and each is checked for its type, since the file is outside our control.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from ..events.contract import MAX_SAFE_INTEGER
from ..problems import InputProblems, Problem
from ..text import OutOfRange, clean_text, parse_time

# The event payload, as the input a bad value in it is reported under.
PAYLOAD = "GITHUB_EVENT_PATH"

# SemVer 2.0.0's pre-release part (`1.2.3-rc.1`, `v2.0.0-beta+build.5`): a tag that carries one is
# not a production release.
# Compiled when a release run first asks (re keeps it), not by every run's import.
_PRE_RELEASE_TAG = r"^v?\d+(?:\.\d+){0,2}-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*(?:\+[0-9A-Za-z.-]+)?$"


def is_pre_release_tag(tag: str) -> bool:
    return re.fullmatch(_PRE_RELEASE_TAG, tag) is not None


def _object(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean_text(value.strip()) if isinstance(value, str) and value.strip() else None


def _id(data: dict[str, Any], key: str = "id") -> int | None:
    value = data.get(key)
    # bool is an int in Python; an id never is one.
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SAFE_INTEGER:
        return value
    return None


def _time(data: dict[str, Any], key: str, where: str) -> datetime | None:
    """The time at ``key``; None when absent or not a time. A time out of range is an input
    problem naming the field (``where``): the event cannot carry it, and it must not fail
    later as an OverflowError."""
    text = _text(data, key)
    if text is None:
        return None
    try:
        return parse_time(text)
    except OutOfRange as exc:
        raise InputProblems([Problem(PAYLOAD, f"{where}.{key}: {exc}")]) from None
    except ValueError:
        return None  # as before: a field that is not a time is not read


def repository_id_of(payload: dict[str, Any], repository: str | None) -> int | None:
    """The payload's ``repository.id``, when the payload is about ``repository`` (owner/name).

    Every event that starts a workflow carries the repository it happened in; the runner's
    ``GITHUB_REPOSITORY_ID`` says the same, but act and older GitHub Enterprise Server do not
    set it. A payload about another repository (by its ``full_name``) is not taken.
    """
    about = _object(payload, "repository")
    full_name = _text(about, "full_name")
    if full_name is not None and repository is not None and full_name.lower() != repository.lower():
        return None
    return _id(about)


class Release(NamedTuple):
    """``github.event.release`` of a ``release`` run."""

    id: int
    tag: str
    action: str
    prerelease: bool
    draft: bool
    url: str | None


class DeploymentStatus(NamedTuple):
    """``github.event.deployment_status``: one state a GitHub deployment went through."""

    id: int
    state: str
    created_at: datetime | None
    log_url: str | None
    target_url: str | None
    environment_url: str | None
    description: str | None


class GitHubDeployment(NamedTuple):
    """``github.event.deployment`` of a ``deployment`` or ``deployment_status`` run."""

    id: int
    environment: str | None
    ref: str | None
    sha: str | None
    created_at: datetime | None
    production_environment: bool | None
    status: DeploymentStatus | None


class PullRequest(NamedTuple):
    number: int
    head: str | None
    base: str | None


def release_of(event_name: str | None, payload: dict[str, Any]) -> Release | None:
    if event_name != "release":
        return None
    release = _object(payload, "release")
    release_id, tag = _id(release), _text(release, "tag_name")
    if release_id is None or tag is None:
        return None
    return Release(
        id=release_id,
        tag=tag,
        action=_text(payload, "action") or "",
        prerelease=release.get("prerelease") is True,
        draft=release.get("draft") is True,
        url=_text(release, "html_url"),
    )


def deployment_of(event_name: str | None, payload: dict[str, Any]) -> GitHubDeployment | None:
    if event_name not in ("deployment", "deployment_status"):
        return None
    deployment = _object(payload, "deployment")
    deployment_id = _id(deployment)
    if deployment_id is None:
        return None
    status = _object(payload, "deployment_status") if event_name == "deployment_status" else {}
    status_id, state = _id(status), _text(status, "state")
    production = deployment.get("production_environment")
    return GitHubDeployment(
        id=deployment_id,
        # A status names the environment it was set for; the deployment's is the fallback.
        environment=_text(status, "environment") or _text(deployment, "environment"),
        ref=_text(deployment, "ref"),
        sha=_text(deployment, "sha"),
        created_at=_time(deployment, "created_at", "deployment"),
        production_environment=production if isinstance(production, bool) else None,
        status=None
        if status_id is None or state is None
        else DeploymentStatus(
            id=status_id,
            state=state.lower(),
            created_at=_time(status, "updated_at", "deployment_status")
            or _time(status, "created_at", "deployment_status"),
            log_url=_text(status, "log_url"),
            target_url=_text(status, "target_url"),
            environment_url=_text(status, "environment_url"),
            description=_text(status, "description"),
        ),
    )


def mirrored_status(
    deployment: GitHubDeployment | None, *, reports_deployment: bool, state_given: bool
) -> DeploymentStatus | None:
    """The GitHub deployment status that a deployment event mirrors, if it mirrors one.

    In a ``deployment_status`` run the status is the truth, not the reporting job's; a ``state``
    input says the user knows better, and a build event is about the job.
    """
    if deployment is None or not reports_deployment or state_given:
        return None
    return deployment.status


def pull_request_of(payload: dict[str, Any]) -> PullRequest | None:
    pull = _object(payload, "pull_request")
    number = _id(pull, "number") or _id(payload, "number")
    if number is None:
        return None
    head, base = _object(pull, "head"), _object(pull, "base")
    return PullRequest(number=number, head=_text(head, "ref"), base=_text(base, "ref"))


def merge_queue_base(payload: dict[str, Any]) -> str | None:
    base = _text(_object(payload, "merge_group"), "base_ref")
    return base.removeprefix("refs/heads/") if base else None


def ref_deleted(payload: dict[str, Any]) -> bool:
    """A push that deleted its branch or tag (``"deleted": true``)."""
    return payload.get("deleted") is True


class Issue(NamedTuple):
    """``github.event.issue`` of an ``issues`` run, with the action and the label it changed."""

    action: str
    number: int
    title: str
    url: str | None
    open: bool
    labels: tuple[str, ...]
    changed_label: str | None  # the label a labeled or unlabeled action added or removed
    created_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    repository_id: int | None


def issue_of(event_name: str | None, payload: dict[str, Any]) -> Issue | None:
    if event_name != "issues":
        return None
    issue = _object(payload, "issue")
    number = _id(issue, "number")
    if number is None:
        return None
    labels = issue.get("labels")
    names = tuple(
        name
        for label in (labels if isinstance(labels, list) else [])
        if (name := _text(label if isinstance(label, dict) else {}, "name")) is not None
    )
    return Issue(
        action=_text(payload, "action") or "",
        number=number,
        title=_text(issue, "title") or f"Issue #{number}",
        url=_text(issue, "html_url"),
        open=issue.get("state") != "closed",
        labels=names,
        changed_label=_text(_object(payload, "label"), "name"),
        created_at=_time(issue, "created_at", "issue"),
        updated_at=_time(issue, "updated_at", "issue"),
        closed_at=_time(issue, "closed_at", "issue"),
        repository_id=_id(_object(payload, "repository")),
    )


class PushedCommit(NamedTuple):
    """The head commit of a ``push`` run: what the push brought, and who wrote it."""

    id: str
    message: str | None
    url: str | None
    author_name: str | None
    author_email: str | None


def head_commit_of(event_name: str | None, payload: dict[str, Any]) -> PushedCommit | None:
    if event_name != "push":
        return None
    head = _object(payload, "head_commit")
    commit_id = _text(head, "id") or _text(payload, "after")
    if commit_id is None or set(commit_id) == {"0"}:  # a deletion's "after" is all zeros
        return None
    author = _object(head, "author")
    message = _text(head, "message")
    return PushedCommit(
        id=commit_id,
        message=message.splitlines()[0] if message else None,
        url=_text(head, "url"),
        author_name=_text(author, "name"),
        author_email=_text(author, "email"),
    )
