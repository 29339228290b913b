"""Re-fetches Atlassian's published Compass OpenAPI document and compares it with contract/.

    python -m tools.contract_refresh [--source URL-or-file] [--write]

The published document is cut the way contract/SOURCE.md describes (the kept paths and every
schema they reference, transitively), then compared with the committed copies key by key. The
differences are printed as JSON pointers; the exit status is 1 when there are any, 0 when the
copies are current. ``--write`` replaces the copies (then update the checksums in SOURCE.md).
Needs a network unless ``--source`` names a local file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .compass_contract import CONTRACT_DIR, DEFAULT_OPENAPI, METRICS_OPENAPI, load_document

PUBLISHED = "https://developer.atlassian.com/cloud/compass/swagger.v3.json"
CUTS: dict[Path, tuple[str, ...]] = {
    DEFAULT_OPENAPI: ("/compass/v1/events",),
    METRICS_OPENAPI: (
        "/compass/v1/metrics",
        "/compass/v1/component/{componentId}/api_specs",
        "/compass/v1/package_dependencies/lock_file",
    ),
}
_TOP = ("openapi", "info", "servers", "security", "tags")
_SCHEMA_REF = "#/components/schemas/"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            yield ref.removeprefix(_SCHEMA_REF)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def cut(document: dict[str, Any], paths: tuple[str, ...], like: dict[str, Any]) -> dict[str, Any]:
    """The parts of ``document`` a contract file keeps: its top-level keys that ``like`` has,
    the given paths, and the schemas they reach."""
    kept: dict[str, Any] = {key: document[key] for key in _TOP if key in like and key in document}
    kept["paths"] = {path: document["paths"][path] for path in paths if path in document["paths"]}
    schemas = document.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    todo = list(_refs(kept["paths"]))
    while todo:
        name = todo.pop()
        if name not in wanted and name in schemas:
            wanted.add(name)
            todo.extend(_refs(schemas[name]))
    components: dict[str, Any] = {"schemas": {name: schemas[name] for name in sorted(wanted)}}
    if "securitySchemes" in document.get("components", {}):
        components["securitySchemes"] = document["components"]["securitySchemes"]
    kept["components"] = components
    return kept


def differences(old: Any, new: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            here = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                yield f"removed  {here}"
            elif key not in old:
                yield f"added    {here}"
            else:
                yield from differences(old[key], new[key], here)
    elif old != new:
        yield f"changed  {pointer or '/'}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}"


def _published(source: str) -> dict[str, Any]:
    if not source.startswith("https://"):
        return load_document(Path(source))
    import httpx  # only this command needs the network

    answer = httpx.get(source, timeout=60, follow_redirects=True)
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=PUBLISHED, help="URL or local file of the document")
    parser.add_argument("--write", action="store_true", help="replace the copies in contract/")
    args = parser.parse_args(argv)
    try:
        published = _published(args.source)
    except Exception as error:  # a network or parse failure is reported, not a traceback
        print(f"contract_refresh: cannot read {args.source}: {error}", file=sys.stderr)
        return 2
    changed = 0
    for path, paths in CUTS.items():
        committed = load_document(path)
        fresh = cut(published, paths, committed)
        lines = list(differences(committed, fresh))
        changed += len(lines)
        print(f"{path.relative_to(CONTRACT_DIR.parent)}: {len(lines) or 'no'} difference(s)")
        for line in lines:
            print(f"  {line}")
        if lines and args.write:
            path.write_text(json.dumps(fresh, indent=2) + "\n", encoding="utf-8")
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
