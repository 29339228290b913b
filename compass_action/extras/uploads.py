"""Uploads: the component's API spec and its package-lock.json (issue 21, items 3 and 4).

Both are ``multipart/form-data`` PUTs with one part, ``file``, as the published contract
describes them (contract/metrics-and-uploads.openapi.json):
- ``PUT /compass/v1/component/{componentId}/api_specs``, whose ``componentId`` the contract
  types as a UUID: the component's own id, the last part of its ARI. JSON or YAML only
  (Compass answers 422 to anything else), checked here to be an OpenAPI, Swagger or AsyncAPI
  document before it is sent.
- ``PUT /compass/v1/package_dependencies/lock_file`` with ``componentId``, ``sourceId`` and
  ``baseSourceUrl`` as query parameters, where the contract puts them (its curl example sends
  them as form fields; a server that reads request parameters takes either, and sending both
  would give it each value twice). Only a ``package-lock.json`` under 2 MB is accepted.
  ``sourceId`` is the file's path in the repository with ``/`` as ``_``, as Atlassian
  recommends, so every upload of one file replaces the last; ``baseSourceUrl`` is the file at
  this commit on GitHub with ``#L`` appended, to which Compass adds the line of each dependency.

Where the files are: a path relative to the workspace; with the components found from
compass.yml files (component-id empty), relative to each component's folder first, so one step
uploads each service's own file in a monorepo.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

import yaml

from ..clients.delivery import Delivery
from ..components import find_components
from ..github.run_context import RunContext
from ..inputs import ActionInputs
from ..limits import TooLarge, loads_json
from ..problems import Problem
from ..report.reporter import Reporter
from ..yaml_files import YamlRefused, top_level_keys
from .files import FileProblem, Missing, read_workspace_file
from .plan import Extras, Upload

if TYPE_CHECKING:
    from .flow import Row, _Sender

API_SPECS_PATH = "/gateway/api/compass/v1/component/{component}/api_specs"
LOCK_FILE_PATH = "/gateway/api/compass/v1/package_dependencies/lock_file"
# Compass documents no size for API specs; large public specs run to a few megabytes.
API_SPEC_LIMIT = 10 * 1024 * 1024
# "we only accept package-lock.json files that are below 2MB" (the contract's description).
LOCK_FILE_LIMIT = 2_000_000 - 1
_SPEC_KEYS = ("openapi", "swagger", "asyncapi")
# A JSON spec is parsed whole (its top-level keys are wanted); this many values at most, counted
# before parsing, keep that under some 100 MB.
SPEC_VALUE_LIMIT = 1_000_000


def planned_uploads(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    components: list[str],
    problems: list[Problem],
) -> list[Upload]:
    """One upload per file input and component; a problem per input that cannot be read."""
    folders = _component_folders(inputs, environ)
    uploads: list[Upload] = []
    for name, given in (("api-spec", inputs.api_spec), ("package-lock", inputs.package_lock)):
        if given is None:
            continue
        try:
            uploads += [_upload(name, given, run, environ, c, folders) for c in components]
        except FileProblem as exc:
            problems.append(Problem(name, str(exc)))
    return uploads


def _component_folders(inputs: ActionInputs, environ: Mapping[str, str]) -> dict[str, str]:
    """Each component's folder, when the components come from compass.yml files."""
    if inputs.component_ids:
        return {}
    found = find_components(environ.get("GITHUB_WORKSPACE"), inputs.compass_file_patterns)
    return {item.id: item.folder.as_posix() for item in found.components}


def _upload(
    name: str,
    given: str,
    run: RunContext,
    environ: Mapping[str, str],
    component: str,
    folders: dict[str, str],
) -> Upload:
    folder = folders.get(component, ".")
    limit = API_SPEC_LIMIT if name == "api-spec" else LOCK_FILE_LIMIT
    try:
        if folder == "." or PurePosixPath(given).is_absolute():
            raise Missing(given)
        path = (PurePosixPath(folder) / given).as_posix()
        content, relative = read_workspace_file(environ, path, limit)
    except Missing:  # not in the component's folder: the workspace's (npm workspaces' root)
        content, relative = read_workspace_file(environ, given, limit)
    if name == "api-spec":
        return Upload(name, component, relative, content, _spec_type(given, content))
    _check_lock_file(given, relative, content)
    return Upload(
        name, component, relative, content, "application/json", _source_url(run, relative)
    )


def _spec_type(given: str, content: bytes) -> str:
    """The part's content type; FileProblem unless the file is an OpenAPI, Swagger or AsyncAPI
    document in JSON or YAML."""
    suffix = PurePosixPath(given).suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise FileProblem(
            f"{given!r} is not a .json, .yaml or .yml file; Compass takes API specs in JSON "
            "or YAML only"
        )
    try:
        text = content.decode("utf-8")
        if suffix == ".json":
            document = loads_json(content, SPEC_VALUE_LIMIT)
            keys = list(document) if isinstance(document, dict) else []
        else:
            # Only the top-level keys are wanted: read from the parser's events, nothing is
            # composed (libyaml's composer recurses per nesting level until the process dies).
            keys = top_level_keys(text, until=_SPEC_KEYS)
    except YamlRefused as exc:
        raise FileProblem(f"{given!r} {exc}") from None
    except RecursionError:
        raise FileProblem(f"{given!r} nests too deeply to be read") from None
    except TooLarge:
        raise FileProblem(f"{given!r} holds more than {SPEC_VALUE_LIMIT} JSON values") from None
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if suffix == ".json" else "YAML"
        raise FileProblem(f"{given!r} is not UTF-8 {kind} ({type(exc).__name__})") from None
    if not any(key in keys for key in _SPEC_KEYS):
        raise FileProblem(
            f"{given!r} has no top-level openapi, swagger or asyncapi key, so it is not an API spec"
        )
    return "application/json" if suffix == ".json" else "application/yaml"


def _check_lock_file(given: str, relative: str, content: bytes) -> None:
    if PurePosixPath(relative).name != "package-lock.json":
        raise FileProblem(f"{given!r} is not a package-lock.json, the one lock file Compass reads")
    try:
        document = loads_json(content, SPEC_VALUE_LIMIT)
    except RecursionError:
        raise FileProblem(f"{given!r} nests too deeply to be read") from None
    except TooLarge:
        raise FileProblem(f"{given!r} holds more than {SPEC_VALUE_LIMIT} JSON values") from None
    except ValueError:
        raise FileProblem(f"{given!r} is not UTF-8 JSON") from None
    if not isinstance(document, dict) or "lockfileVersion" not in document:
        raise FileProblem(f"{given!r} has no lockfileVersion, so it is not an npm lock file")


def _source_url(run: RunContext, relative: str) -> str:
    """The file at this commit on GitHub, ``#L`` appended for Compass's line anchors."""
    base = run.repository_url
    if base is None or not run.sha:
        raise FileProblem("needs GITHUB_REPOSITORY and GITHUB_SHA to link the file on GitHub")
    return f"{base}/blob/{run.sha}/{quote(relative)}#L"


def source_id(upload: Upload) -> str:
    """Atlassian's recommendation: the file's path with ``/`` as ``_``."""
    return upload.path.replace("/", "_")


def upload_url(base: str, upload: Upload) -> str:
    if upload.input == "api-spec":
        component = upload.component.rsplit("/", 1)[-1]
        return base + API_SPECS_PATH.format(component=quote(component, safe=""))
    query = {
        "componentId": upload.component,
        "sourceId": source_id(upload),
        "baseSourceUrl": upload.source_url,
    }
    return f"{base}{LOCK_FILE_PATH}?{urlencode(query)}"


def multipart(upload: Upload) -> tuple[bytes, str]:
    """The body, one ``file`` part, and its Content-Type with a boundary the file lacks."""
    boundary = "compass-action-" + secrets.token_hex(16)
    while boundary.encode() in upload.content:  # as unlikely as it gets, but then certain
        boundary = "compass-action-" + secrets.token_hex(16)
    filename = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in _name(upload))
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {upload.content_type}\r\n\r\n"
    ).encode()
    body = head + upload.content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _name(upload: Upload) -> str:
    return PurePosixPath(upload.path).name


def _size(upload: Upload) -> str:
    return f"{_name(upload)} ({len(upload.content)} bytes)"


def dry_upload_rows(reporter: Reporter, inputs: ActionInputs, extras: Extras) -> list[Row]:
    from .flow import Row  # flow imports this module lazily; this import is the other way

    rows = []
    for upload in extras.uploads:
        where = upload_url("", upload)
        reporter.info(f"Dry run: would PUT {upload.path} to {where} for {upload.component}")
        rows.append(Row(upload.component, upload.input, _size(upload), "dry-run", False, "Dry run"))
    return rows


def send_uploads(sender: _Sender) -> list[Row]:
    """Each upload, through the account's pacer and under the run's deadline."""
    from .flow import _row

    inputs = sender.inputs
    assert inputs.user_email is not None and inputs.api_token is not None
    rows = []
    for upload in sender.extras.uploads:
        body, content_type = multipart(upload)
        url = upload_url(sender.base, upload)
        sender.reporter.info(f"Uploading {upload.path} ({upload.input}) for {upload.component}")
        delivery = sender.stack.enter_context(
            Delivery(
                url,
                inputs.user_email,
                inputs.api_token.get_secret_value(),
                inputs.budget,
                sender.reporter.info,
                clock=sender.clock,
                pacer=sender.pacer,
                method="PUT",
                content_type=content_type,
            )
        )
        result = delivery.send(body, sender.deadline)
        rows.append(_row(upload.component, upload.input, _size(upload), result))
        if upload.source_url and rows[-1].delivered:
            sender.reporter.info(f"Linked to {upload.source_url}")
    return rows
