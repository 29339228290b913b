"""docs/metrics-and-uploads.md: its workflows are YAML and use only inputs action.yml declares."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tools import read_trusted_yaml

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "metrics-and-uploads.md").read_text(encoding="utf-8")
ACTION = read_trusted_yaml((ROOT / "action.yml").read_text(encoding="utf-8"))


def _steps(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if str(node.get("uses", "")).startswith("OWNER/compass-action") else []
        return own + [step for value in node.values() for step in _steps(value)]
    if isinstance(node, list):
        return [step for item in node for step in _steps(item)]
    return []


def test_the_pages_workflows_use_only_declared_inputs() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", PAGE, re.DOTALL)
    steps = [step for block in blocks for step in _steps(read_trusted_yaml(block))]
    assert len(steps) == 5
    for step in steps:
        assert set(step["with"]) <= set(ACTION["inputs"]), step


def test_every_new_input_is_on_the_page() -> None:
    for name in (
        "metrics", "coverage-report", "coverage-metric", "test-report", "tests-metric",
        "test-failures-metric", "api-spec", "package-lock",
    ):  # fmt: skip
        assert f"`{name}`" in PAGE, name
