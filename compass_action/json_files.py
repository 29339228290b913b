"""Reading the JSON files the runner and earlier steps leave, which may be missing or broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json_object(path: Path | None) -> dict[str, Any]:
    """The JSON object in ``path``; {} when there is no path, no file, or no object in it."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
