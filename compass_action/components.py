"""Which components a run reports: component-id's list, else the workspace's compass.yml files.

A monorepo describes its components with Compass's config-as-code files, one ``compass.yml`` per
component folder, each naming the component by its ``id`` (the component's ARI). The files are
in the checked-out workspace, which the workflow's own code (or a pull request) wrote, so each is
read as untrusted: a regular file inside the workspace (no symlink out of it, no FIFO), bounded
in size, and parsed by yaml_files.py (bounded nesting and alias expansion, no key twice). All
the files together are bounded too, in bytes and by the run's deadline: a file past either is
skipped with a warning naming it, and the others are still used.

With ``changed-only`` a push run reports only the components whose folder holds a changed file
(``changes.py`` finds them); when that cannot be told, every component is reported, with a notice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from .inputs import parse_component_ari
from .json_files import NotRegular, read_regular_file
from .limits import Deadline, DeadlineExceeded, TooLarge
from .problems import Problem
from .yaml_files import YamlRefused, load_yaml

# A compass.yml is a few KB; a larger one is not a component description.
COMPASS_FILE_LIMIT = 256 * 1024
# More than Compass's rate limit allows in a minute several times over; a glob matching more
# has gone wrong (a pattern matching vendored trees, say).
MAX_COMPASS_FILES = 1000
# All the files together: a few KB each for a monorepo of hundreds of components.
COMPASS_TOTAL_LIMIT = 4 * 1024 * 1024
_SKIPPED_FOLDERS = frozenset({".git", "node_modules"})


@dataclass(frozen=True)
class ComponentFile:
    id: str
    folder: PurePosixPath  # relative to the workspace, "." for the root
    path: PurePosixPath  # the compass.yml, relative to the workspace


@dataclass
class Found:
    components: list[ComponentFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    ignored: int = 0  # files that matched but were skipped, each with a warning
    bytes_read: int = 0

    def none_found(self) -> str:
        shown = ", ".join(self.patterns)
        if self.ignored:
            return (
                f"is required: compass-files ({shown}) matched {self.ignored} file(s), and "
                "none could be used (the warnings above say why); fix them or give the "
                "component IDs, one per line"
            )
        return (
            "is required: give the component IDs, one per line, or check out the repository "
            f"before this step so that compass-files ({shown}) finds compass.yml files with an id"
        )

    def skip(self, warning: str) -> None:
        self.warnings.append(warning)
        self.ignored += 1


def find_components(
    workspace: str | None, patterns: list[str], deadline: Deadline | None = None
) -> Found:
    """Every compass.yml under the workspace matching a pattern, with its component id."""
    found = Found(patterns=patterns)
    if not workspace:
        return found
    root = Path(workspace).resolve()
    seen_ids: dict[str, PurePosixPath] = {}
    paths = _matches(root, patterns, found)
    for index, path in enumerate(paths):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if deadline is not None and deadline.expired():
            _out_of_time(found, root, paths[index:], deadline)
            break
        component = _component_of(root, path, relative, found, deadline)
        if component is None:
            continue
        if component.id in seen_ids:
            found.warnings.append(
                f"{relative} names component {component.id}, as {seen_ids[component.id]} does; "
                "it is reported once"
            )
            continue
        seen_ids[component.id] = relative
        found.components.append(component)
    return found


def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A glob over workspace-relative paths: ``**/`` any folders, ``*`` and ``?`` within one."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def _files(root: Path) -> Iterator[PurePosixPath]:
    """Every file under root, relative; symlinked folders are not followed (they may loop or
    lead out of the workspace), nor .git and node_modules entered."""
    for folder, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED_FOLDERS)
        base = PurePosixPath(Path(folder).relative_to(root).as_posix())
        for name in sorted(files):
            yield base / name


def _matches(root: Path, patterns: list[str], found: Found) -> list[Path]:
    compiled = []
    for pattern in patterns:
        if PurePosixPath(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts:
            found.problems.append(
                Problem("compass-files", f"{pattern!r} must be a pattern inside the workspace")
            )
        else:
            compiled.append(glob_pattern(pattern))
    paths = [root / path for path in _files(root) if any(p.fullmatch(str(path)) for p in compiled)]
    if len(paths) > MAX_COMPASS_FILES:
        found.problems.append(
            Problem("compass-files", f"matches more than {MAX_COMPASS_FILES} files; narrow it")
        )
        return []
    return paths


def _out_of_time(found: Found, root: Path, left: list[Path], deadline: Deadline) -> None:
    names = [path.relative_to(root).as_posix() for path in left]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    found.warnings.append(
        f"{shown} not read: the timeout of {deadline.budget:g} s ran out while reading "
        "compass.yml files; ignored"
    )
    found.ignored += len(names)


def _component_of(
    root: Path, path: Path, relative: PurePosixPath, found: Found, deadline: Deadline | None
) -> ComponentFile | None:
    """The file's component, or None with a warning (or a problem: an id that is wrong)."""
    # A symlink may point out of the workspace (at /proc, at the runner's secrets).
    real = Path(os.path.realpath(path))
    if real != root and root not in real.parents:
        found.skip(f"{relative} points out of the workspace; ignored")
        return None
    left = COMPASS_TOTAL_LIMIT - found.bytes_read
    try:
        raw = read_regular_file(real, min(COMPASS_FILE_LIMIT, left))
    except TooLarge as exc:
        found.skip(
            f"{relative} is larger than {COMPASS_FILE_LIMIT} bytes; ignored"
            if exc.limit == COMPASS_FILE_LIMIT
            else f"{relative} would take the compass.yml files read past {COMPASS_TOTAL_LIMIT} "
            "bytes in all; ignored"
        )
        return None
    except NotRegular as exc:
        found.skip(f"{relative} is {exc.kind}, not a regular file; ignored")
        return None
    except OSError as exc:
        found.skip(f"{relative} cannot be read ({exc.strerror}); ignored")
        return None
    found.bytes_read += len(raw)
    data = _parsed(raw, relative, found, deadline)
    if data is None:
        return None
    component_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(component_id, str) or not component_id.strip():
        found.skip(
            f"{relative} has no id (a component's compass.yml has one after its first sync); "
            "ignored"
        )
        return None
    try:
        # Compass writes the component's ARI as a compass.yml's id (its slug is another key).
        parse_component_ari(component_id.strip())
    except ValueError as exc:
        found.problems.append(Problem("compass-files", f"{relative}: the id {exc}"))
        return None
    return ComponentFile(component_id.strip(), relative.parent, relative)


def _parsed(
    raw: bytes, relative: PurePosixPath, found: Found, deadline: Deadline | None
) -> object | None:
    """The file's YAML, or None with a warning naming the file."""
    try:
        return load_yaml(raw.decode("utf-8"), deadline) or {}
    except YamlRefused as exc:
        found.skip(f"{relative} {exc}; ignored")
    except DeadlineExceeded:
        assert deadline is not None
        found.skip(
            f"{relative} not read: the timeout of {deadline.budget:g} s ran out while reading "
            "compass.yml files; ignored"
        )
    except (UnicodeDecodeError, yaml.YAMLError):
        found.skip(f"{relative} is not UTF-8 YAML; ignored")
    return None
