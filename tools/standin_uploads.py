"""The stand-in's upload endpoints: API specs and package lock files (issue 21).

Each multipart body is taken apart with the standard library's MIME parser and checked field by
field against the published contract (contract/metrics-and-uploads.openapi.json): the parts its
``multipart/form-data`` schema declares and requires (``file``, a binary, so it must carry a file
name), the query parameters it requires, a path parameter of format ``uuid``. Then what Compass
documents about the content: API specs in JSON or YAML only (422 else), lock files only
``package-lock.json`` under 2 MB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from .compass_contract import METRICS_OPENAPI, load_document

API_SPECS = "/compass/v1/component/{componentId}/api_specs"
LOCK_FILE = "/compass/v1/package_dependencies/lock_file"
GATEWAY = "/gateway/api"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
LOCK_FILE_LIMIT = 2_000_000


@dataclass
class CheckedUpload:
    status: int
    answer: Any
    operation: str = ""  # uploadAPISpec or uploadLockFile
    component: str = ""  # the path's UUID, or the query's componentId
    query: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    content_type: str = ""
    content: bytes = b""


def _operation(path: str) -> tuple[str, dict[str, str]] | None:
    """The contract's path template and its path parameters, for a request path."""
    if path == GATEWAY + LOCK_FILE:
        return LOCK_FILE, {}
    found = re.fullmatch(GATEWAY + r"/compass/v1/component/([^/]+)/api_specs", path)
    if found is not None:
        return API_SPECS, {"componentId": found.group(1)}
    return None


def _parts(content_type: str, raw: bytes) -> list[Message] | str:
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        return f"Content-Type is {content_type!r}, not multipart/form-data with a boundary"
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if not message.is_multipart():
        return "the body is not a multipart body"
    payload = message.get_payload()
    assert isinstance(payload, list)
    parts = [part for part in payload if isinstance(part, Message)]
    if message.defects or any(part.defects for part in parts):
        return f"the multipart body is malformed: {message.defects}"
    return parts


def check_upload(
    path_and_query: str, content_type: str, raw: bytes, known: list[str]
) -> CheckedUpload:
    split = urlsplit(path_and_query)
    found = _operation(split.path)
    if found is None:
        return CheckedUpload(404, f"no such path {split.path}")
    template, path_params = found
    operation = load_document(METRICS_OPENAPI)["paths"][template]["put"]
    query = {key: values[-1] for key, values in parse_qs(split.query).items()}
    twice = [key for key, values in parse_qs(split.query).items() if len(values) > 1]
    problems = [f"query parameter {key} given twice" for key in twice]
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        value = query.get(name) if where == "query" else path_params.get(name)
        if parameter.get("required") and not value:
            problems.append(f"{where} parameter {name} is required")
        if value and parameter["schema"].get("format") == "uuid" and not _UUID.fullmatch(value):
            problems.append(f"{where} parameter {name} is {value!r}, not a UUID")
    parts = _parts(content_type, raw)
    if isinstance(parts, str):
        return CheckedUpload(400, parts)
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    names = [part.get_param("name", header="content-disposition") for part in parts]
    for name in names:
        if name not in schema["properties"]:
            problems.append(f"part {name!r} is not in the contract's schema")
    for name in schema["required"]:
        if names.count(name) != 1:
            problems.append(f"part {name!r} must be given once, got {names.count(name)}")
    if problems or "file" not in names:
        return CheckedUpload(400, "; ".join(problems))
    part = parts[names.index("file")]
    filename = part.get_filename() or ""
    if schema["properties"]["file"].get("format") == "binary" and not filename:
        return CheckedUpload(400, "part 'file' carries no file name")
    content = part.get_payload(decode=True)
    assert isinstance(content, bytes)
    upload = CheckedUpload(
        200,
        "",
        operation["operationId"],
        path_params.get("componentId") or query.get("componentId", ""),
        query,
        filename,
        part.get_content_type(),
        content,
    )
    if template == API_SPECS:
        return _api_spec(upload, known)
    return _lock_file(upload, known)


def _api_spec(upload: CheckedUpload, known: list[str]) -> CheckedUpload:
    if not any(ari.rsplit("/", 1)[-1] == upload.component for ari in known):
        return CheckedUpload(404, "Component not found")
    if not upload.filename.lower().endswith((".json", ".yaml", ".yml")):
        return CheckedUpload(422, "Accepted file types are JSON and YML.")
    try:
        if upload.filename.lower().endswith(".json"):
            json.loads(upload.content)
        else:
            yaml.safe_load(upload.content)
    except (ValueError, yaml.YAMLError):
        return CheckedUpload(422, "The file content cannot be parsed.")
    upload.answer = "API spec uploaded"
    return upload


def _lock_file(upload: CheckedUpload, known: list[str]) -> CheckedUpload:
    if upload.component not in known:
        return CheckedUpload(404, "Component not found")
    if len(upload.content) >= LOCK_FILE_LIMIT:
        return CheckedUpload(400, "The lock file must be below 2MB")
    if upload.filename != "package-lock.json":
        return CheckedUpload(422, "Only package-lock.json files are accepted")
    try:
        json.loads(upload.content)
    except ValueError:
        return CheckedUpload(422, "The file content cannot be parsed.")
    upload.answer = "Package dependencies uploaded"
    return upload
