"""The workflow run the action reports on: the runner's ``GITHUB_*`` variables and event payload."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from ..json_files import JsonObject, read_json_object
from ..problems import InputProblems, Problem, check_text
from ..settings import FromEnvironment
from ..text import QUOTED_VALUE, preview
from .payload import (
    GitHubDeployment,
    Issue,
    PullRequest,
    PushedCommit,
    Release,
    deployment_of,
    head_commit_of,
    is_pre_release_tag,
    issue_of,
    merge_queue_base,
    pull_request_of,
    release_of,
    repository_id_of,
)

# GitHub caps webhook payloads at 25 MB; the runner writes the same payload to this file.
EVENT_LIMIT = 32 * 1024 * 1024

# Runs for a change that is not merged yet: builds from them are optional (report-pull-requests).
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
PRE_MERGE_EVENTS = PULL_REQUEST_EVENTS | {"merge_group"}
# The runs observe.py reports from: started by another workflow's run.
OBSERVED_EVENT = "workflow_run"


class RunContext(FromEnvironment):
    model_config = SettingsConfigDict(
        env_prefix="GITHUB_", env_ignore_empty=True, case_sensitive=False, extra="ignore"
    )

    server_url: str = "https://github.com"
    repository: str | None = None
    repository_id: str | None = None
    run_id: int | None = None
    run_attempt: int = 1
    run_number: int | None = None
    workflow: str | None = None
    job: str | None = None
    sha: str | None = None
    ref: str | None = None
    ref_name: str | None = None
    ref_type: str | None = None
    event_name: str | None = None
    event_path: Path | None = None
    actor: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _utf8(cls, value: Any) -> Any:
        if isinstance(value, str):
            check_text(value)
        return value

    @field_validator("server_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @cached_property
    def event_file(self) -> JsonObject:
        """The payload file, read once; its ``problem`` says why it was ignored, if it was."""
        return read_json_object(self.event_path, EVENT_LIMIT)

    @cached_property
    def event(self) -> dict[str, Any]:
        """The payload of the triggering event; {} when there is none or it is unreadable."""
        return self.event_file.data

    @cached_property
    def release(self) -> Release | None:
        """The release of a ``release`` run."""
        return release_of(self.event_name, self.event)

    @cached_property
    def github_deployment(self) -> GitHubDeployment | None:
        """The GitHub deployment of a ``deployment`` or ``deployment_status`` run."""
        return deployment_of(self.event_name, self.event)

    @cached_property
    def issue(self) -> Issue | None:
        """The issue of an ``issues`` run."""
        return issue_of(self.event_name, self.event)

    @cached_property
    def head_commit(self) -> PushedCommit | None:
        """The pushed head commit of a ``push`` run."""
        return head_commit_of(self.event_name, self.event)

    @cached_property
    def pull_request(self) -> PullRequest | None:
        if self.event_name not in PULL_REQUEST_EVENTS:
            return None
        return pull_request_of(self.event)

    @property
    def is_tag(self) -> bool:
        return self.ref_type == "tag" or (self.ref or "").startswith("refs/tags/")

    @property
    def tag(self) -> str | None:
        """The tag the run is for: a release's tag, or the pushed or dispatched tag."""
        if self.release is not None:
            return self.release.tag
        if self.is_tag:
            return self.ref_name or (self.ref or "").removeprefix("refs/tags/")
        return None

    @property
    def is_pre_release(self) -> bool:
        """GitHub's pre-release flag for a release; the SemVer pre-release part for a tag."""
        if self.release is not None:
            return self.release.prerelease
        tag = self.tag
        return tag is not None and is_pre_release_tag(tag)

    @property
    def version(self) -> str | None:
        """The tag or ref being deployed, when the run is for one."""
        if self.tag is not None:
            return self.tag
        deployment = self.github_deployment
        return deployment.ref if deployment is not None else None

    @property
    def ref_label(self) -> str | None:
        """Where a build comes from, in words: a pull request, a merge queue, a branch or a tag."""
        if self.pull_request is not None:
            return f"pull request #{self.pull_request.number}"
        if self.event_name == "merge_group":
            base = merge_queue_base(self.event)
            return f"merge queue of {base}" if base else "merge queue"
        if self.is_tag:
            return f"tag {self.tag}"
        return self.ref_name or None

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch, as the payload gives it (most events carry it)."""
        repository = self.event.get("repository")
        value = repository.get("default_branch") if isinstance(repository, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def branch(self) -> str | None:
        """The branch the run is for, when it is for one."""
        ref = self.ref or ""
        return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None

    @property
    def host(self) -> str:
        return urlsplit(self.server_url).hostname or "github"

    @property
    def repository_url(self) -> str | None:
        return f"{self.server_url}/{self.repository}" if self.repository else None

    @property
    def run_url(self) -> str | None:
        """The run, at this attempt, so a re-run links to its own logs."""
        if self.repository_url is None or self.run_id is None:
            return None
        return f"{self.repository_url}/actions/runs/{self.run_id}/attempts/{self.run_attempt}"

    def job_url(self, check_run_id: int | None) -> str | None:
        if check_run_id is None or self.repository_url is None or self.run_id is None:
            return self.run_url
        return f"{self.repository_url}/actions/runs/{self.run_id}/job/{check_run_id}"

    @property
    def commit_url(self) -> str | None:
        if self.repository_url is None or not self.sha:
            return None
        return f"{self.repository_url}/commit/{self.sha}"


def load_run_context() -> RunContext:
    try:
        return _with_repository_id(RunContext())
    except ValidationError as exc:
        problems = [
            Problem(
                "GITHUB_" + str(error["loc"][0]).upper(),
                str(error["ctx"]["error"])
                if error["type"] == "value_error"
                else f"{error['msg']} (got {preview(str(error.get('input')), QUOTED_VALUE)!r})",
            )
            for error in exc.errors()
        ]
        raise InputProblems(problems) from None


def _with_repository_id(run: RunContext) -> RunContext:
    """The repository's numeric id from the event payload where GITHUB_REPOSITORY_ID is unset.

    The id, not the name, keys the event source (events/identity.py): a rename keeps the id, so
    the component's history stays one. act and older GitHub Enterprise Server leave the variable
    out, yet the payload names the repository with its id.
    """
    if run.repository_id is not None:
        return run
    found = repository_id_of(run.event, run.repository)
    return run if found is None else run.model_copy(update={"repository_id": str(found)})
