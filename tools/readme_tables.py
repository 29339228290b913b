"""The README's inputs and outputs tables, rendered from action.yml.

action.yml is the one place an input's description and default live (the Marketplace and editors
show them from there); the README shows the same text as tables between marker comments:

    python -m tools.readme_tables --check   # exit 1 and a diff when README.md is out of date
    python -m tools.readme_tables --write   # rewrite the tables in README.md

A path such as ``docs/failures.md`` in a description becomes a link in the README.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import Any

from tools import read_trusted_yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
ACTION_YML = REPO / "action.yml"

_DOCS_PATH = re.compile(r"(?<![`\[(/])\bdocs/[a-z0-9-]+\.md(?:#[a-z0-9-]+)?")


def _markers(table: str) -> tuple[str, str]:
    return (
        f"<!-- {table}-table: generated from action.yml by tools/readme_tables.py; edit there -->",
        f"<!-- {table}-table end -->",
    )


def _cell(text: str) -> str:
    """One table cell: on one line, ``|`` escaped, docs/ paths linked."""
    one_line = " ".join(text.split()).replace("|", "\\|")
    return _DOCS_PATH.sub(lambda m: f"[{m.group(0)}]({m.group(0)})", one_line)


def inputs_table(action: dict[str, Any]) -> str:
    rows = ["| Input | Default | Description |", "| --- | --- | --- |"]
    for name, spec in action["inputs"].items():
        default = spec.get("default")
        shown = "" if default is None else f"`{default}`"
        rows.append(f"| `{name}` | {shown} | {_cell(str(spec.get('description', '')))} |")
    return "\n".join(rows)


def outputs_table(action: dict[str, Any]) -> str:
    rows = ["| Output | Description |", "| --- | --- |"]
    for name, spec in action["outputs"].items():
        rows.append(f"| `{name}` | {_cell(str(spec.get('description', '')))} |")
    return "\n".join(rows)


def render(readme: str, action: dict[str, Any]) -> str:
    """``readme`` with both tables replaced by what action.yml says."""
    for table, body in (("inputs", inputs_table(action)), ("outputs", outputs_table(action))):
        start, end = _markers(table)
        if readme.count(start) != 1 or readme.count(end) != 1:
            raise ValueError(f"README.md must hold the markers once each: {start} ... {end}")
        before, rest = readme.split(start, 1)
        _old, after = rest.split(end, 1)
        readme = f"{before}{start}\n{body}\n{end}{after}"
    return readme


def load_action() -> dict[str, Any]:
    loaded = read_trusted_yaml(ACTION_YML.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the tables in README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when README.md differs")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = render(current, load_action())
    if args.write:
        if wanted != current:
            README.write_text(wanted, encoding="utf-8")
        return 0
    if wanted == current:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), wanted.splitlines(), "README.md", "from action.yml", lineterm=""
    )
    print("\n".join(diff))
    print("README.md's tables differ from action.yml: python -m tools.readme_tables --write")
    return 1


if __name__ == "__main__":
    sys.exit(main())
