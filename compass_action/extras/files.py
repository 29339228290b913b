"""Reading a file an input names: inside the workspace, a regular file, bounded in size.

The path comes from the workflow and the file from the build, so both are untrusted: a symlink
that leads out of the workspace (to the runner's credentials, say) is refused, and so is
anything that is not a regular file or is larger than the limit of what it is for. The one
bounded reader (``json_files.read_regular_file``) does the reading.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..json_files import NotRegular, read_regular_file
from ..limits import TooLarge


class FileProblem(Exception):
    """Why the file cannot be used, said so that it follows the input's name."""


class Missing(FileProblem):
    """There is no file at the path."""


def workspace_path(environ: Mapping[str, str], given: str) -> tuple[Path, str]:
    """The file's real path and its path relative to the workspace; FileProblem when it lies
    outside the workspace (after following every symlink)."""
    workspace = Path(os.path.realpath(environ.get("GITHUB_WORKSPACE") or os.getcwd()))
    candidate = Path(given)
    if not candidate.is_absolute():
        candidate = workspace / candidate
    real = Path(os.path.realpath(candidate))
    if real != workspace and workspace not in real.parents:
        raise FileProblem(
            f"{given!r} leads outside the workspace ({workspace}); give a file of the "
            "repository or the build, not a symlink to elsewhere"
        )
    return real, real.relative_to(workspace).as_posix()


def read_workspace_file(environ: Mapping[str, str], given: str, limit: int) -> tuple[bytes, str]:
    """The bytes of the file ``given`` names, and its path relative to the workspace."""
    path, relative = workspace_path(environ, given)
    try:
        return read_regular_file(path, limit), relative
    except FileNotFoundError:
        raise Missing(f"{given!r} does not exist in the workspace") from None
    except TooLarge:
        raise FileProblem(
            f"{given!r} is larger than {_size(limit)}; this is more than such a file holds"
        ) from None
    except NotRegular as exc:
        raise FileProblem(f"{given!r} is {exc.kind}, not a regular file") from None
    except OSError as exc:
        raise FileProblem(
            f"{given!r} cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
