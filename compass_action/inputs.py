"""The action's inputs, read from the ``COMPASS_*`` variables that ``action.yml`` maps them to.

Each field is one input of ``action.yml`` (``component_id`` is ``component-id``). The runner sets
every declared input, an unset one as the empty string, so empty means "not given" here.
Everything a person can get wrong in a single input is checked in this module; rules that need
the run context (an environment for a deployment, say) are checked where the event is derived.
"""

# Not `from __future__ import annotations` here, unlike elsewhere: pydantic would then evaluate
# each of the inputs' 54 annotations from its text when every run defines the model (~0.7 ms).
import ipaddress
import re
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from .events.contract import MAX_SAFE_INTEGER, CustomIcon, EnvironmentCategory, EventType
from .events.environments import CategoryRule, parse_category_rules
from .events.properties import parse_properties
from .events.severity import resolve_severity
from .events.states import JOB_STATUS_KINDS, is_job_status, resolve_state
from .input_names import VARIABLE_PREFIX, input_name
from .problems import InputProblems, Problem, check_text
from .settings import FromEnvironment
from .text import MIN_SECRET_LENGTH, QUOTED_VALUE, checked_time, preview

EVENTS_PATH = "/gateway/api/compass/v1/events"

# ari:cloud:compass:<cloudId>:component/<workspace>/<id>, the "component ID" Compass copies.
_COMPONENT_ARI = re.compile(
    r"^ari:cloud:compass:(?P<cloud_id>[A-Za-z0-9-]+):component/[A-Za-z0-9-]+/[A-Za-z0-9-]+$"
)
# A component's slug, as Compass shows it in the component's URL and its compass.yml. Compass
# documents no pattern; the slugs it makes from names are lower-case letters, digits and hyphens
# (not verified against a published rule), so that is what is accepted, and a slug Compass does
# not know is reported by name after the lookup.
_COMPONENT_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,254}$")
_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_SECRET_INPUTS = frozenset({"api-token", "github-token"})
# component-id takes several references, one per line or separated by commas.
_REFERENCE_SEPARATORS = re.compile(r"[,\n]")
# Where compass.yml files are looked for when component-id is empty.
DEFAULT_COMPASS_FILES = "**/compass.yml"

# Seconds the run with Compass may take: a step's default, a reconcile's (a batch job meant to
# run to the end: five hours, inside GitHub-hosted runners' six-hour job limit, still bounded and
# resumable), and the most that may be given (that six-hour limit).
DEFAULT_TIMEOUT = 60.0
RECONCILE_TIMEOUT = 5 * 3600.0
MAX_TIMEOUT = 6 * 3600.0
# event-type: none sends no event, only the step's metric values and uploads (extras/).
NO_EVENT = "none"

FailOn = Literal["config", "any", "never"]
SetupEventSource = Literal["auto", "never"]
BuildUnit = Literal["run", "job"]


class ComponentAri(NamedTuple):
    ari: str
    cloud_id: str


# The GitHub alert lists the vulnerabilities input can name (github_alerts.py reads them).
VULNERABILITY_SOURCES = ("code-scanning", "dependabot", "secret-scanning")


def _is_loopback(host: str) -> bool:
    """True only for a loopback IP literal (127.0.0.0/8, ::1): no name is looked up.

    ``localhost`` is handled by the caller, which pins it to 127.0.0.1; other names, even
    ``*.localhost``, would go through the resolver, which can answer anything.
    """
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port(netloc: str) -> int | None:
    """The port of a URL's authority, checked here so that none can wrap around later."""
    host_and_port = netloc.rpartition("@")[2]
    text = host_and_port.rpartition("]")[2] if host_and_port.startswith("[") else host_and_port
    if ":" not in text:
        return None
    digits = text.rpartition(":")[2]
    if not digits:
        return None
    if not re.fullmatch(r"[0-9]{1,5}", digits) or not 1 <= int(digits) <= 65535:
        raise ValueError(f"the port must be a number from 1 to 65535, not {digits!r}")
    return int(digits)


def events_url_for_site(site: str) -> str:
    """Turn ``acme``, ``acme.atlassian.net`` or a base URL into the events endpoint URL."""
    if _SITE_NAME.fullmatch(site):
        return f"https://{site.lower()}.atlassian.net{EVENTS_PATH}"
    if "://" not in site:
        site = "https://" + site
    try:
        parts = urlsplit(site)
    except ValueError:  # e.g. an unclosed [IPv6] literal
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{site!r} is not a site name, a host name or an https:// URL")
    port = _port(parts.netloc)
    if parts.username or parts.password:
        raise ValueError("the URL must not carry credentials; use user-email and api-token")
    if parts.query or parts.fragment:
        raise ValueError("the URL must not have a query or a fragment")
    netloc = parts.netloc
    if parts.scheme == "http":
        if parts.hostname == "localhost":
            # Pinned rather than resolved: the plain-http request must stay on this machine.
            netloc = "127.0.0.1" if port is None else f"127.0.0.1:{port}"
        elif not _is_loopback(parts.hostname):
            raise ValueError(
                "plain http:// would send the API token unencrypted; use https:// "
                "(http:// is accepted only for a loopback address: 127.0.0.1, [::1] or localhost)"
            )
    path = parts.path.rstrip("/")
    # Accept a pasted gateway or events URL without doubling the path.
    for suffix in (EVENTS_PATH, "/gateway/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.scheme}://{netloc}{path}{EVENTS_PATH}"


def _check_site_path(site: str) -> None:
    """Refuse a path on an Atlassian host, where Compass's API is always at the root.

    ``https://acme.atlassian.net/compass`` (copied from the browser) would otherwise post to
    ``/compass/gateway/...`` and fail with a confusing 404. Another host may be a proxy or a
    stand-in that serves the API under a path, so a path is kept there (a dry run shows the URL).
    """
    parts = urlsplit(site if "://" in site else "https://" + site)
    host = (parts.hostname or "").rstrip(".")
    if not (host == "atlassian.net" or host.endswith(".atlassian.net")):
        return
    path = parts.path.rstrip("/")
    if path not in ("", "/gateway/api", EVENTS_PATH):
        raise ValueError(
            f"{site!r} has the path {path!r}, but Compass's API is at the root of an "
            f"atlassian.net site; give {parts.scheme}://{parts.netloc} or just the site name"
        )


def _check_start(value: datetime) -> None:
    try:
        checked_time(value)
    except ValueError as exc:
        raise ValueError(f"{exc}; give when the work started, e.g. 2026-01-31T12:00:00Z") from None


def is_component_slug(value: str) -> bool:
    return not value.startswith("ari:") and _COMPONENT_SLUG.fullmatch(value) is not None


def graphql_url_for_site(site: str) -> str:
    """The GraphQL endpoint of the site: the events URL's gateway, path ``/gateway/api/graphql``."""
    return events_url_for_site(site)[: -len(EVENTS_PATH)] + "/gateway/api/graphql"


def parse_component_ari(value: str) -> ComponentAri:
    match = _COMPONENT_ARI.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a component ARI; copy it from Compass (component page, '...' "
            "menu, 'Copy component ID'): "
            "ari:cloud:compass:<cloud-id>:component/<workspace>/<id>"
        )
    return ComponentAri(ari=value, cloud_id=match["cloud_id"])


def check_component_reference(value: str) -> str:
    """The one check of one item of component-id: an ARI, or a slug to be looked up."""
    if is_component_slug(value):
        return value
    try:
        parse_component_ari(value)
    except ValueError as exc:
        raise ValueError(
            f"{exc}; or give the component's slug (lower-case letters, digits and hyphens, as "
            "in its Compass URL), which is looked up"
        ) from None
    return value


_WINDOW = r"(?i)(\d{1,4})\s*([dh])"  # compiled when reconcile is given (re keeps it)
# GitHub keeps workflow runs' logs and jobs 90 days by default, 400 at most.
MAX_WINDOW_DAYS = 400


def parse_window(value: str) -> timedelta:
    """``7d`` or ``12h``: how far back ``reconcile`` reads."""
    found = re.fullmatch(_WINDOW, value.strip())
    if found is None:
        raise ValueError("expected a window such as 7d, 90d or 12h (days or hours)")
    count, unit = int(found.group(1)), found.group(2).lower()
    window = timedelta(days=count) if unit == "d" else timedelta(hours=count)
    if not timedelta(0) < window <= timedelta(days=MAX_WINDOW_DAYS):
        raise ValueError(f"must be more than 0 and at most {MAX_WINDOW_DAYS}d")
    return window


def split_references(value: str) -> list[str]:
    """component-id's items: one per line or comma-separated; blanks and repeats dropped."""
    items = (item.strip() for item in _REFERENCE_SEPARATORS.split(value))
    return list(dict.fromkeys(item for item in items if item))


class ActionInputs(FromEnvironment):
    model_config = SettingsConfigDict(
        env_prefix=VARIABLE_PREFIX, env_ignore_empty=True, case_sensitive=False, extra="ignore"
    )

    site: str | None = None
    user_email: str | None = None
    api_token: SecretStr | None = None
    component_id: str | None = None
    cloud_id: str | None = None
    event_type: EventType = EventType.DEPLOYMENT
    state: str | None = None
    job_status: str | None = None
    environment: str | None = None
    environment_category: EnvironmentCategory | None = None
    environment_categories: str | None = None  # names and patterns -> categories
    environment_id: str | None = None
    pipeline_id: str | None = None
    sequence_number: int | None = Field(default=None, ge=0, le=MAX_SAFE_INTEGER)
    update_sequence_number: int | None = Field(default=None, ge=0, le=MAX_SAFE_INTEGER)
    external_event_source_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    url: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    event_id: str | None = None
    severity: str | None = None
    icon: CustomIcon | None = None
    properties: str | None = None
    incident_label: str = "incident"
    check_run_id: int | None = Field(default=None, ge=1)
    report_pull_requests: bool = False
    track_job: bool = False
    compass_files: str = DEFAULT_COMPASS_FILES
    changed_only: bool = False
    github_token: SecretStr | None = None
    vulnerabilities: str | None = None  # alert sources for reconcile; github_alerts.py
    dry_run: bool = False
    fail_on: FailOn = "config"
    setup_event_source: SetupEventSource = "auto"
    verify: bool = False
    preflight: bool = False
    # Empty: DEFAULT_TIMEOUT, or RECONCILE_TIMEOUT for a reconcile (``budget``).
    timeout: float | None = Field(default=None, gt=0, le=MAX_TIMEOUT)
    # reconcile.py: the window to reconcile (``7d``, ``12h``), and its filters.
    reconcile: str | None = None
    workflows: str | None = None
    branches: str | None = None
    environments: str | None = None
    # observe.py and reconcile.py: what one build is, which jobs count (job mode), and which
    # branches' builds count (events/branches.py).
    build_unit: BuildUnit = "run"
    jobs: str | None = None
    build_branches: str | None = None
    # extras/ (issue 21): metric values and uploads sent besides the event.
    metrics: str | None = None
    coverage_report: str | None = None
    coverage_metric: str | None = None
    test_report: str | None = None
    tests_metric: str | None = None
    test_failures_metric: str | None = None
    api_spec: str | None = None
    package_lock: str | None = None
    # event-type: none (see _event_type_none): the step sends its extras and no event.
    _no_event: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _event_type_none(cls, data: Any, handler: Any) -> Any:
        """``event-type: none`` stands for no event; the kind's field keeps a default that
        needs nothing (custom), so every rule about kinds stays as it is."""
        given = data.get("event_type") if isinstance(data, dict) else None
        none = isinstance(given, str) and given.strip().lower() == NO_EVENT
        if none:
            data = {**data, "event_type": EventType.CUSTOM}
        model = handler(data)
        if none:
            model._no_event = True
        return model

    @property
    def sends_event(self) -> bool:
        """False with ``event-type: none``: only metric values and uploads are sent."""
        return not self._no_event

    @property
    def extras_asked(self) -> bool:
        """Whether any input of extras/ is set (metric values, reports, uploads)."""
        return any(
            value is not None
            for value in (
                self.metrics,
                self.coverage_report,
                self.test_report,
                self.api_spec,
                self.package_lock,
            )
        )

    @field_validator("coverage_metric", "tests_metric", "test_failures_metric")
    @classmethod
    def _metric_reference(cls, value: str | None) -> str | None:
        if value is not None:
            from .extras.metric_values import check_metric_reference  # only when given

            check_metric_reference(value)
        return value

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: str | None) -> str | None:
        if value is not None:
            from .extras.metric_values import parse_metrics  # only when metrics is given

            parse_metrics(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """Every text given is checked for UTF-8 and stripped; a blank one is None.

        One validator over all the values, not a field validator for ``"*"``: pydantic inspects
        a field validator once for each field it applies to, which made defining this model
        (every run does) about a sixth slower. Each bad value is still an error of its own field.
        """
        if not isinstance(data, dict):
            return data
        cleaned: dict[str, Any] = {}
        errors: list[Any] = []
        for name, value in data.items():
            if isinstance(value, str):
                try:
                    check_text(value)
                except ValueError as exc:
                    errors.append(
                        {
                            "type": "value_error",
                            "loc": (name,),
                            "input": value,
                            "ctx": {"error": exc},
                        }
                    )
                    continue
                value = value.strip() or None
            cleaned[name] = value
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return cleaned

    @field_validator("event_type", "fail_on", "setup_event_source", "build_unit", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("event_type", mode="before")
    @classmethod
    def _no_pull_requests(cls, value: Any) -> Any:
        if isinstance(value, str) and value.replace("_", "-") in ("pull-request", "pullrequest"):
            raise ValueError(
                "pull-request events are not sent: Compass accepts them only from Forge apps "
                "and does not show them in the activity feed; use push or build instead"
            )
        return value

    @field_validator("environment_category", "icon", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("site")
    @classmethod
    def _site(cls, value: str | None) -> str | None:
        if value is not None:
            events_url_for_site(value)
            _check_site_path(value)
        return value

    @field_validator("component_id")
    @classmethod
    def _component(cls, value: str | None) -> str | None:
        if value is None:
            return None
        references = split_references(value)
        for reference in references:
            check_component_reference(reference)
        return "\n".join(references) or None

    @field_validator("reconcile")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_window(value)
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

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.utcoffset() is None:
            raise ValueError(
                "the time has no time zone; add one, e.g. 2026-01-31T12:00:00Z or +02:00"
            )
        _check_start(value)
        return value

    @field_validator("state", "job_status")
    @classmethod
    def _state_for_event_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        # event_type is declared before state, so it is validated first; when it is invalid
        # itself, that is the problem to report, not the state.
        event_type = info.data.get("event_type")
        if value is None or event_type is None:
            return value
        if event_type not in JOB_STATUS_KINDS:
            # A job's status says nothing about the other kinds: job-status, or state set to
            # ${{ job.status }}, is ignored (prepare.py logs it for debugging).
            if info.field_name == "job_status":
                return value
            if is_job_status(value):
                return None
        return resolve_state(value, event_type)

    @field_validator("severity")
    @classmethod
    def _severity_for_event_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        event_type = info.data.get("event_type")
        if value is None or event_type is None:
            return value
        return resolve_severity(value, event_type)

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: str | None) -> str | None:
        if value is not None:
            parse_properties(value)
        return value

    @field_validator("environment_categories")
    @classmethod
    def _category_rules(cls, value: str | None) -> str | None:
        if value is not None:
            parse_category_rules(value)
        return value

    @field_validator("vulnerabilities")
    @classmethod
    def _vulnerabilities(cls, value: str | None) -> str | None:
        if value is None:
            return None
        sources = [item.lower() for item in split_references(value)]
        unknown = [item for item in sources if item not in VULNERABILITY_SOURCES]
        if unknown:
            raise ValueError(
                f"names {', '.join(unknown)}; give code-scanning, dependabot, secret-scanning "
                "or several, comma-separated (empty: none)"
            )
        return ",".join(dict.fromkeys(sources))

    @property
    def category_rules(self) -> tuple[CategoryRule, ...]:
        """``environment-categories`` (checked when read): exact names first, then patterns."""
        if self.environment_categories is None:
            return ()
        return parse_category_rules(self.environment_categories)

    @property
    def vulnerability_sources(self) -> list[str]:
        """The alert sources ``vulnerabilities`` names, in order, each once; none when empty."""
        return [] if self.vulnerabilities is None else self.vulnerabilities.split(",")

    @property
    def given_properties(self) -> dict[str, Any]:
        """The ``properties`` mapping (checked when read), empty when none is given."""
        return {} if self.properties is None else parse_properties(self.properties)

    @property
    def budget(self) -> float:
        """The seconds the run may take: ``timeout``, else the default for this kind of run."""
        if self.timeout is not None:
            return self.timeout
        return RECONCILE_TIMEOUT if self.reconcile is not None else DEFAULT_TIMEOUT

    @property
    def reconcile_window(self) -> timedelta | None:
        """How far back ``reconcile`` reads; None: this is no reconcile run."""
        return None if self.reconcile is None else parse_window(self.reconcile)

    def filter_list(self, name: str) -> list[str]:
        """``workflows``, ``branches``, ``environments``, ``jobs`` or ``build-branches`` as
        items; empty: all (for build-branches: the default branch only)."""
        value = getattr(self, name)
        return [] if value is None else split_references(value)

    @property
    def component_ids(self) -> list[str]:
        """Every component given in component-id, in order (none when it is empty)."""
        return [] if self.component_id is None else self.component_id.split("\n")

    @property
    def component(self) -> ComponentAri:
        """The one component of inputs made by ``for_component``."""
        assert self.component_id is not None, "checked by read_inputs()"
        return parse_component_ari(self.component_id)

    @property
    def component_slugs(self) -> list[str]:
        """The slugs among component-id's items, to be looked up; none when all are ARIs."""
        return [item for item in self.component_ids if is_component_slug(item)]

    @property
    def graphql_url(self) -> str:
        assert self.site is not None, "checked by read_inputs()"
        return graphql_url_for_site(self.site)

    @property
    def compass_file_patterns(self) -> list[str]:
        """The compass-files globs, one per line or comma-separated."""
        return split_references(self.compass_files)

    def for_component(self, component_id: str) -> "ActionInputs":
        """These inputs for one component: each event is built from a copy of its own."""
        return self.model_copy(update={"component_id": component_id})

    @property
    def events_url(self) -> str:
        assert self.site is not None, "checked by read_inputs()"
        return events_url_for_site(self.site)


def _describe(error: Any) -> Problem:
    field = str(error["loc"][0])
    name = input_name(field)
    if error["type"] == "value_error":
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"]
        given = error.get("input")
        if isinstance(given, str) and name not in _SECRET_INPUTS:
            message += f" (got {preview(given, QUOTED_VALUE)!r})"
    return Problem(name, message)


# Inputs whose check depends on another input: when that one is wrong, theirs is unknown.
_CHECKED_AGAINST = {"event_type": ("state", "severity")}


class LoadedInputs(NamedTuple):
    """The inputs with every wrong one left at its default, and every problem found in them.

    ``unchecked`` names the fields whose value is unknown (wrong, or checked against a wrong
    one), so that later checks neither call them missing nor derive from them.
    """

    inputs: ActionInputs
    problems: list[Problem]
    unchecked: frozenset[str]


def read_inputs() -> LoadedInputs:
    """Read and check every input, collecting all problems in one pass rather than stopping."""
    problems: list[Problem] = []
    unset: dict[str, Any] = {}
    # Each round leaves the wrong inputs at their defaults and reads again, so the rest is still
    # checked; a default is always valid, so the loop ends after at most one round per field.
    while True:
        try:
            inputs = ActionInputs(**unset)
            break
        except ValidationError as exc:
            errors = [error for error in exc.errors() if str(error["loc"][0]) not in unset]
            if not errors:
                raise
            for error in errors:
                field = str(error["loc"][0])
                problems.append(_describe(error))
                for name in (field, *_CHECKED_AGAINST.get(field, ())):
                    unset.setdefault(name, ActionInputs.model_fields[name].default)
    unchecked = frozenset(unset)
    return LoadedInputs(inputs, problems + _missing(inputs, unchecked), unchecked)


def load_inputs() -> ActionInputs:
    """The inputs; raise InputProblems listing every problem found in them."""
    loaded = read_inputs()
    if loaded.problems:
        raise InputProblems(loaded.problems)
    return loaded.inputs


def _missing(inputs: ActionInputs, unchecked: frozenset[str]) -> list[Problem]:
    problems: list[Problem] = []
    # An empty component-id is looked up in compass.yml files (prepare.py), not missing here.
    slugs = inputs.component_slugs
    if slugs and inputs.dry_run and None in (inputs.site, inputs.user_email, inputs.api_token):
        problems.append(
            Problem(
                "component-id",
                f"the slug {slugs[0]!r} is looked up in Compass, which needs site, user-email "
                "and api-token; give them, or the component's ARI",
            )
        )
    for reference in inputs.component_ids:
        if is_component_slug(reference):
            continue
        cloud = parse_component_ari(reference).cloud_id
        if inputs.cloud_id not in (None, cloud):
            problems.append(
                Problem(
                    "cloud-id",
                    f"{inputs.cloud_id!r} is not the cloud of component-id "
                    f"({cloud!r}); leave cloud-id empty to take it from the ARI",
                )
            )
            break
    problems += _extras_missing(inputs, unchecked)
    if inputs.track_job and inputs.event_type not in JOB_STATUS_KINDS:
        # Only deployments and builds follow the job (IN_PROGRESS, then the job's status); the
        # other kinds have states of their own, which a job's end says nothing about.
        problems.append(
            Problem(
                "track-job",
                f"applies only to deployment and build events, not to {inputs.event_type.a} "
                "event; set track-job: false, or event-type: deployment or build",
            )
        )
    if inputs.vulnerabilities is not None and inputs.reconcile is None:
        problems.append(
            Problem(
                "vulnerabilities",
                "applies only with reconcile: a scheduled or manual run that reads the "
                "repository's alerts; set reconcile (e.g. 1d), or leave vulnerabilities empty",
            )
        )
    if inputs.track_job and inputs.state is not None:
        problems.append(
            Problem(
                "state",
                "must be empty with track-job: true; the step sends IN_PROGRESS and the post step "
                "the job's status",
            )
        )
    if (
        inputs.event_type in JOB_STATUS_KINDS
        and inputs.state is None
        and inputs.job_status is None
        and "state" not in unchecked
    ):
        # job-status is what is missing: state is meant to be empty, job-status to default.
        problems.append(
            Problem(
                "job-status",
                "is empty, and state is empty too, so a deployment's or build's state is "
                "unknown; leave job-status at its default ${{ job.status }}, or set state, "
                "e.g. in_progress or successful",
            )
        )
    # With dry-run itself wrong, whether credentials are needed is unknown.
    if not inputs.dry_run and "dry_run" not in unchecked:
        hint = "needed to send the event (or set dry-run: true)"
        required = {
            "site": f"is required: your Compass site, e.g. acme; {hint}",
            "user_email": f"is required; {hint}",
            "api_token": f"is required, e.g. ${{{{ secrets.COMPASS_API_TOKEN }}}}; {hint}",
        }
        for field, message in required.items():
            if getattr(inputs, field) is None and field not in unchecked:
                problems.append(Problem(input_name(field), message))
    return problems


# The inputs of extras/ that give something to send (the metric names beside them do not).
_EXTRAS_TO_SEND = frozenset(
    {"metrics", "coverage_report", "test_report", "api_spec", "package_lock"}
)


def _extras_missing(inputs: ActionInputs, unchecked: frozenset[str]) -> list[Problem]:
    """What the inputs of extras/ need beside them (metric values and uploads); one given but
    wrong (in ``unchecked``) is reported on its own, not as missing too."""
    problems = []
    asked = inputs.extras_asked or bool(unchecked & _EXTRAS_TO_SEND)
    if not inputs.sends_event and not asked:
        problems.append(
            Problem(
                "event-type",
                "none sends no event, so give what to send instead: metrics, coverage-report, "
                "test-report, api-spec or package-lock",
            )
        )
    if not inputs.sends_event and inputs.track_job:
        problems.append(Problem("track-job", "must be false with event-type: none"))
    if inputs.reconcile is not None and inputs.extras_asked:
        problems.append(
            Problem(
                "reconcile",
                "sends past runs' events only; metric values and uploads belong to the step "
                "that made them: leave metrics, the reports, api-spec and package-lock empty",
            )
        )
    if inputs.coverage_report is not None and inputs.coverage_metric is None:
        problems.append(
            Problem(
                "coverage-metric",
                "is required with coverage-report: the metric definition (its name or ARI) "
                "to send the coverage to",
            )
        )
    no_test_metric = inputs.tests_metric is None and inputs.test_failures_metric is None
    if inputs.test_report is not None and no_test_metric:
        problems.append(
            Problem(
                "tests-metric",
                "or test-failures-metric is required with test-report: the metric definition "
                "(its name or ARI) to send the test count or the failures to",
            )
        )
    return problems
