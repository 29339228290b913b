"""Checks a request body against Atlassian's published Compass events OpenAPI document.

Used by the tests and by the stand-in server. The document is not copied into this repository;
it is read from ``../shared/compass-api/events.openapi.json`` (or a path given explicitly).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OPENAPI = REPO_ROOT.parent / "shared" / "compass-api" / "events.openapi.json"
REQUEST_SCHEMA = "CreateStreamlinedEventRequest"
INT64 = (-(2**63), 2**63 - 1)


def _format_checker() -> FormatChecker:
    checker = (
        FormatChecker()
    )  # date-time is checked strictly because rfc3339-validator is installed

    @checker.checks("int64")
    def _int64(value: object) -> bool:
        return not isinstance(value, int) or INT64[0] <= value <= INT64[1]

    return checker


@lru_cache(maxsize=4)
def validator_for(openapi_path: Path = DEFAULT_OPENAPI) -> Draft202012Validator:
    document = json.loads(openapi_path.read_text(encoding="utf-8"))
    # The document's own "#/components/schemas/..." references resolve against its root.
    schema = dict(document, **{"$ref": f"#/components/schemas/{REQUEST_SCHEMA}"})
    return Draft202012Validator(schema, format_checker=_format_checker())


def contract_errors(body: Any, openapi_path: Path = DEFAULT_OPENAPI) -> list[str]:
    """Every way ``body`` breaks the contract; empty when it is a valid request."""
    validator = validator_for(openapi_path)
    errors = [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(body)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]
    # The schema cannot say it, but Compass requires exactly one event kind (an @oneOf input).
    if isinstance(body, dict) and isinstance(body.get("event"), dict):
        kinds = [key for key, value in body["event"].items() if value is not None]
        if len(kinds) != 1:
            errors.append(f"event: exactly one event kind is required, got {kinds}")
    return errors
