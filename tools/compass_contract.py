"""Checks request bodies against Atlassian's published Compass OpenAPI documents.

Used by the tests and by the stand-ins. The documents are kept in ``contract/`` at the top of the
repository, with their source and checksums in ``contract/SOURCE.md``; a clone needs nothing
beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DIR = REPO_ROOT / "contract"
SOURCE_NOTE = CONTRACT_DIR / "SOURCE.md"
DEFAULT_OPENAPI = CONTRACT_DIR / "events.openapi.json"
METRICS_OPENAPI = CONTRACT_DIR / "metrics-and-uploads.openapi.json"
REQUEST_SCHEMA = "CreateStreamlinedEventRequest"
INT64 = (-(2**63), 2**63 - 1)
_RESTORE = (
    "restore the committed copy with `git checkout -- contract/`, or see contract/SOURCE.md "
    "to refresh it from Atlassian's published document"
)


class ContractMissing(RuntimeError):
    """A contract file is absent, unreadable or not the one SOURCE.md records."""


def recorded_checksums() -> dict[str, str]:
    """The sha256 of each contract file, as contract/SOURCE.md records it."""
    row = re.compile(r"^\| `([\w.-]+\.json)` \|.*\| `([0-9a-f]{64})` \|$", re.M)
    return dict(row.findall(_read(SOURCE_NOTE)))


def check_contract_files() -> None:
    """Raises ContractMissing, naming the file and how to restore it, unless every contract
    file is present and matches its recorded checksum."""
    checksums = recorded_checksums()
    if not checksums:
        raise ContractMissing(f"{SOURCE_NOTE} records no checksums; {_RESTORE}")
    for name, expected in sorted(checksums.items()):
        path = CONTRACT_DIR / name
        actual = hashlib.sha256(_read_bytes(path)).hexdigest()
        if actual != expected:
            raise ContractMissing(
                f"the Compass contract file {path} has changed (sha256 {actual[:12]}…, "
                f"SOURCE.md records {expected[:12]}…); {_RESTORE}"
            )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ContractMissing(
            f"the Compass contract file {path} cannot be read ({error.strerror}); {_RESTORE}"
        ) from None


def _read(path: Path) -> str:
    return _read_bytes(path).decode("utf-8", errors="replace")


def load_document(openapi_path: Path) -> dict[str, Any]:
    """The OpenAPI document at ``openapi_path``, or ContractMissing saying how to restore it."""
    try:
        document = json.loads(_read_bytes(openapi_path))
    except ValueError as error:
        raise ContractMissing(
            f"the Compass contract file {openapi_path} is not valid JSON ({error}); {_RESTORE}"
        ) from None
    if not isinstance(document, dict) or "components" not in document:
        raise ContractMissing(
            f"the Compass contract file {openapi_path} is not an OpenAPI document; {_RESTORE}"
        )
    return document


def _format_checker() -> FormatChecker:
    checker = (
        FormatChecker()
    )  # date-time is checked strictly because rfc3339-validator is installed

    @checker.checks("int64")
    def _int64(value: object) -> bool:
        return not isinstance(value, int) or INT64[0] <= value <= INT64[1]

    return checker


@lru_cache(maxsize=8)
def validator_for(
    openapi_path: Path = DEFAULT_OPENAPI, schema_name: str = REQUEST_SCHEMA
) -> Draft202012Validator:
    document = load_document(openapi_path)
    # The document's own "#/components/schemas/..." references resolve against its root.
    schema = dict(document, **{"$ref": f"#/components/schemas/{schema_name}"})
    return Draft202012Validator(schema, format_checker=_format_checker())


def schema_errors(body: Any, schema_name: str, openapi_path: Path) -> list[str]:
    """Every way ``body`` breaks the named schema of the document; empty when it is valid."""
    validator = validator_for(openapi_path, schema_name)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(body)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def contract_errors(body: Any, openapi_path: Path = DEFAULT_OPENAPI) -> list[str]:
    """Every way ``body`` breaks the events contract; empty when it is a valid request."""
    errors = schema_errors(body, REQUEST_SCHEMA, openapi_path)
    # The schema cannot say it, but Compass requires exactly one event kind (an @oneOf input).
    if isinstance(body, dict) and isinstance(body.get("event"), dict):
        kinds = [key for key, value in body["event"].items() if value is not None]
        if len(kinds) != 1:
            errors.append(f"event: exactly one event kind is required, got {kinds}")
    return errors
