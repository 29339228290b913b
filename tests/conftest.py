"""Shared fixtures: a valid configuration, the run context, the stand-in server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.action_runner import Run
from tools.compass_contract import DEFAULT_OPENAPI
from tools.compass_standin import ScriptedAnswer, Standin

CLOUD_ID = "83673fa7-fd28-4f4a-9738-f584064570a7"
COMPONENT = (
    f"ari:cloud:compass:{CLOUD_ID}:component/"
    "db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)
EMAIL = "deployer@example.com"
# Recognisable, so a leak of it (or of its Base64 form) is easy to find in any output.
TOKEN = "ATATT3xFfGF0-LEAKCANARY-7c1d2e3f4a5b6c7d8e9f"


@pytest.fixture(scope="session", autouse=True)
def _openapi_present() -> None:
    if not DEFAULT_OPENAPI.is_file():
        pytest.fail(f"the Compass OpenAPI document is missing: {DEFAULT_OPENAPI}")


@pytest.fixture
def run_context() -> Run:
    return Run()


@pytest.fixture
def standin() -> Iterator[Standin]:
    with Standin(EMAIL, TOKEN) as server:
        yield server


def scripted_standin(answers: list[ScriptedAnswer]) -> Standin:
    return Standin(EMAIL, TOKEN, script=answers)


def credentials(server: Standin) -> dict[str, str]:
    return {
        "site": server.base_url,
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": COMPONENT,
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "github"
