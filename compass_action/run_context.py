"""The workflow run the action reports on: the runner's ``GITHUB_*`` variables and event payload."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .json_files import JsonObject, read_json_object
from .problems import InputProblems, Problem, check_text

# GitHub caps webhook payloads at 25 MB; the runner writes the same payload to this file.
EVENT_LIMIT = 32 * 1024 * 1024


class RunContext(BaseSettings):
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

    @property
    def deployment_environment(self) -> str | None:
        """``github.event.deployment.environment`` for deployment and deployment_status events."""
        deployment = self.event.get("deployment")
        if isinstance(deployment, dict):
            environment = deployment.get("environment")
            if isinstance(environment, str) and environment.strip():
                return environment.strip()
        return None

    @property
    def is_tag(self) -> bool:
        return self.ref_type == "tag" or (self.ref or "").startswith("refs/tags/")

    @property
    def is_release(self) -> bool:
        return self.event_name == "release"

    @property
    def version(self) -> str | None:
        """The tag being released or deployed, when the run is for one."""
        release = self.event.get("release")
        if self.is_release and isinstance(release, dict) and release.get("tag_name"):
            return str(release["tag_name"])
        if self.is_tag:
            return self.ref_name or (self.ref or "").removeprefix("refs/tags/")
        return None

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
        return RunContext()
    except ValidationError as exc:
        problems = [
            Problem(
                "GITHUB_" + str(error["loc"][0]).upper(),
                str(error["ctx"]["error"])
                if error["type"] == "value_error"
                else f"{error['msg']} (got {str(error.get('input'))[:80]!r})",
            )
            for error in exc.errors()
        ]
        raise InputProblems(problems) from None
