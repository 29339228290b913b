"""The action's inputs, read from the ``COMPASS_*`` variables that ``action.yml`` maps them to.

Each field is one input of ``action.yml`` (``component_id`` is ``component-id``). The runner sets
every declared input, an unset one as the empty string, so empty means "not given" here.
Everything a person can get wrong in a single input is checked in this module; rules that need
the run context (an environment for a deployment, say) are checked where the event is derived.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .compass_models import MAX_SAFE_INTEGER, EnvironmentCategory, EventType
from .problems import InputProblems, Problem
from .states import resolve_state
from .text import MIN_SECRET_LENGTH, preview

EVENTS_PATH = "/gateway/api/compass/v1/events"

# ari:cloud:compass:<cloudId>:component/<workspace>/<id>, the "component ID" Compass copies.
_COMPONENT_ARI = re.compile(
    r"^ari:cloud:compass:(?P<cloud_id>[A-Za-z0-9-]+):component/[A-Za-z0-9-]+/[A-Za-z0-9-]+$"
)
_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_SECRET_INPUTS = frozenset({"api-token"})

FailOn = Literal["config", "any", "never"]


@dataclass(frozen=True)
class ComponentAri:
    ari: str
    cloud_id: str


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def events_url_for_site(site: str) -> str:
    """Turn ``acme``, ``acme.atlassian.net`` or a base URL into the events endpoint URL."""
    if _SITE_NAME.fullmatch(site):
        return f"https://{site.lower()}.atlassian.net{EVENTS_PATH}"
    if "://" not in site:
        site = "https://" + site
    parts = urlsplit(site)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{site!r} is not a site name, a host name or an https:// URL")
    if parts.username or parts.password:
        raise ValueError("the URL must not carry credentials; use user-email and api-token")
    if parts.query or parts.fragment:
        raise ValueError("the URL must not have a query or a fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            "plain http:// would send the API token unencrypted; use https:// "
            "(http:// is accepted only for a loopback host such as 127.0.0.1)"
        )
    path = parts.path.rstrip("/")
    # Accept a pasted gateway or events URL without doubling the path.
    for suffix in (EVENTS_PATH, "/gateway/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}{EVENTS_PATH}"


def parse_component_ari(value: str) -> ComponentAri:
    match = _COMPONENT_ARI.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a component ARI; copy it from Compass (component page, '...' "
            "menu, 'Copy component ID'): "
            "ari:cloud:compass:<cloud-id>:component/<workspace>/<id>"
        )
    return ComponentAri(ari=value, cloud_id=match["cloud_id"])


class ActionInputs(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMPASS_", env_ignore_empty=True, case_sensitive=False, extra="ignore"
    )

    site: str | None = None
    user_email: str | None = None
    api_token: SecretStr | None = None
    component_id: str | None = None
    cloud_id: str | None = None
    event_type: EventType = EventType.DEPLOYMENT
    state: str | None = None
    environment: str | None = None
    environment_category: EnvironmentCategory | None = None
    environment_id: str | None = None
    pipeline_id: str | None = None
    sequence_number: int | None = Field(default=None, ge=0, le=MAX_SAFE_INTEGER)
    update_sequence_number: int | None = Field(default=None, ge=0, le=MAX_SAFE_INTEGER)
    external_event_source_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    url: str | None = None
    started_at: datetime | None = None
    check_run_id: int | None = Field(default=None, ge=1)
    dry_run: bool = False
    fail_on: FailOn = "config"
    timeout: float = Field(default=60.0, gt=0, le=3600)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("event_type", "fail_on", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("environment_category", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("site")
    @classmethod
    def _site(cls, value: str | None) -> str | None:
        if value is not None:
            events_url_for_site(value)
        return value

    @field_validator("component_id")
    @classmethod
    def _component(cls, value: str | None) -> str | None:
        if value is not None:
            parse_component_ari(value)
        return value

    @field_validator("user_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
            raise ValueError(
                "expected the e-mail address of the Atlassian account that owns the API token"
            )
        return value

    @field_validator("api_token")
    @classmethod
    def _token_length(cls, value: SecretStr | None) -> SecretStr | None:
        # A value this short cannot be an Atlassian API token (24 characters or more), and
        # masking it would hide every occurrence of a few common letters in the log.
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"is shorter than {MIN_SECRET_LENGTH} characters, so it is not an Atlassian API "
                "token; create one at id.atlassian.com/manage/api-tokens and pass it from a "
                "secret, e.g. ${{ secrets.COMPASS_API_TOKEN }}"
            )
        return value

    @field_validator("url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{value!r} is not an absolute http(s) URL")
        return value

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError(
                "the time has no time zone; add one, e.g. 2026-01-31T12:00:00Z or +02:00"
            )
        return value

    @field_validator("state")
    @classmethod
    def _state_for_event_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        # event_type is declared before state, so it is validated first; when it is invalid
        # itself, that is the problem to report, not the state.
        event_type = info.data.get("event_type")
        if value is None or event_type is None:
            return value
        return resolve_state(value, event_type)

    @property
    def component(self) -> ComponentAri:
        assert self.component_id is not None, "checked by load_inputs()"
        return parse_component_ari(self.component_id)

    @property
    def events_url(self) -> str:
        assert self.site is not None, "checked by load_inputs()"
        return events_url_for_site(self.site)


def input_name(field: str) -> str:
    return field.replace("_", "-")


def _describe(error: Any) -> Problem:
    field = str(error["loc"][0])
    name = input_name(field)
    if error["type"] == "value_error":
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"]
        given = error.get("input")
        if isinstance(given, str) and name not in _SECRET_INPUTS:
            message += f" (got {preview(given, 80)!r})"
    return Problem(name, message)


def load_inputs() -> ActionInputs:
    """Read and check the inputs; raise InputProblems listing every problem found."""
    try:
        inputs = ActionInputs()
    except ValidationError as exc:
        raise InputProblems([_describe(error) for error in exc.errors()]) from None
    problems = _missing(inputs)
    if problems:
        raise InputProblems(problems)
    return inputs


def _missing(inputs: ActionInputs) -> list[Problem]:
    problems: list[Problem] = []
    if inputs.component_id is None:
        problems.append(Problem("component-id", "is required: the component ARI from Compass"))
    elif inputs.cloud_id is not None and inputs.cloud_id != inputs.component.cloud_id:
        problems.append(
            Problem(
                "cloud-id",
                f"{inputs.cloud_id!r} is not the cloud of component-id "
                f"({inputs.component.cloud_id!r}); leave cloud-id empty to take it from the ARI",
            )
        )
    if inputs.state is None:
        problems.append(
            Problem("state", "is required, e.g. ${{ job.status }}, in_progress or successful")
        )
    if not inputs.dry_run:
        hint = "needed to send the event (or set dry-run: true)"
        if inputs.site is None:
            problems.append(Problem("site", f"is required: your Compass site, e.g. acme; {hint}"))
        if inputs.user_email is None:
            problems.append(Problem("user-email", f"is required; {hint}"))
        if inputs.api_token is None:
            problems.append(
                Problem(
                    "api-token", f"is required, e.g. ${{{{ secrets.COMPASS_API_TOKEN }}}}; {hint}"
                )
            )
    return problems
