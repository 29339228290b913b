"""What every process of the suite would otherwise make for itself, made once on every core.

A fresh clone (CI's case) has no bytecode. Each xdist worker then parses every test module and
rewrites its asserts (pytest's rewriting: ~2.3 s of CPU a process on this suite) and compiles the
project's modules, all at the same moment, so each does the whole of it: three workers spent
~7 s of CPU on it, a quarter of the suite's wall time on 2 cores. Done here, once, before the
workers start, in one process per core, the workers find it all in ``__pycache__``; the
``entrypoint.py`` subprocesses too (``python -B`` reads bytecode, only never writes it).

Hypothesis's tables of characters (see ``hypothesis_tables``) are made here as well, beside the
rest instead of before it.

The rewritten modules are written as pytest itself writes them (``_pytest.assertion.rewrite``'s
own functions, the file it would read); the work is skipped for what is current, so a run after
the first costs a few file reads. Should a later pytest change those functions, nothing is
warmed, a warning says so, and each worker does its own rewriting as before.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Imported modules that Python compiles the usual way (entrypoint.py runs as a script: never).
PLAIN = ("compass_action", "tools", "tests")

_config: pytest.Config | None = None  # the controller's, for the forked processes


def warm(config: pytest.Config) -> None:
    """Writes what is missing or out of date, on every core; returns when it is all written."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        jobs: list[tuple[Callable[[Path], None], Path]] = []
    else:
        try:
            jobs = [(_rewrite, path) for path in _stale_test_modules(config)]
        except (AttributeError, ImportError, TypeError) as change:
            _tell(config, change)
            jobs = []
        jobs += [(_compile, path) for path in _stale_plain_modules()]
    # The biggest first, so that no process is left with a big one at the end.
    jobs.sort(key=lambda job: -job[1].stat().st_size)
    if not hypothesis_tables_current():
        jobs.insert(0, (_hypothesis_tables, ROOT))  # biggest of all: 0.3 to 0.7 s
    if not jobs:
        return
    global _config
    _config = config
    # Imported here: every worker loads this module with conftest.py, and needs none of them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if len(jobs) == 1 or "fork" not in multiprocessing.get_all_start_methods():
        problems = [_run(job) for job in jobs]
    else:
        # Forked, so each process has the controller's config (the rewriting reads its ini).
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(cores or 1, len(jobs)), mp_context=context) as pool:
            problems = list(pool.map(_run, jobs, chunksize=1))
    for problem in {problem for problem in problems if problem is not None}:
        _tell(config, problem)


def _run(job: tuple[Callable[[Path], None], Path]) -> str | None:
    """Does one job; what went wrong, for the controller to warn of (a module that does not
    parse is then reported by the worker that imports it, as without this)."""
    work, path = job
    try:
        work(path)
    except Exception as problem:  # told, and the worker that needs it does it again
        return f"{work.__name__} {path.name}: {problem!r}"
    return None


def _tell(config: pytest.Config, problem: object) -> None:
    warning = pytest.PytestWarning(f"not made before the workers started: {problem}")
    config.issue_config_time_warning(warning, stacklevel=2)


def _stale_test_modules(config: pytest.Config) -> list[Path]:
    from _pytest.assertion import rewrite

    tests = ROOT / "tests"
    stale = []
    for path in sorted([*tests.glob("test_*.py"), tests / "conftest.py"]):
        pyc = rewrite.get_cache_dir(path) / (path.name[:-3] + rewrite.PYC_TAIL)
        if rewrite._read_pyc(path, pyc) is None:
            stale.append(path)
    return stale


def _rewrite(path: Path) -> None:
    from _pytest.assertion import rewrite

    assert _config is not None
    cache = rewrite.get_cache_dir(path)
    if not rewrite.try_makedirs(cache):
        return
    source_hash, code = rewrite._rewrite_test(path, _config)
    state = _config.stash[rewrite.assertstate_key]
    rewrite._write_pyc(state, code, source_hash, cache / (path.name[:-3] + rewrite.PYC_TAIL))


def _is_test_module(path: Path) -> bool:
    return path.parent.name == "tests" and (
        path.name.startswith("test_") or path.name == "conftest.py"
    )


def _stale_plain_modules() -> list[Path]:
    """The modules whose bytecode Python would find missing or out of date (a timestamp pyc's
    header: magic, flags 0, the source's mtime and size, as importlib checks it)."""
    stale = []
    for folder in PLAIN:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if _is_test_module(path):
                continue
            stat = path.stat()
            expected = (
                importlib.util.MAGIC_NUMBER
                + (0).to_bytes(4, "little")
                + (int(stat.st_mtime) & 0xFFFF_FFFF).to_bytes(4, "little")
                + (stat.st_size & 0xFFFF_FFFF).to_bytes(4, "little")
            )
            try:
                with open(importlib.util.cache_from_source(str(path)), "rb") as pyc:
                    current = pyc.read(16) == expected
            except OSError:
                current = False
            if not current:
                stale.append(path)
    return stale


def _compile(path: Path) -> None:
    import py_compile

    py_compile.compile(
        str(path), doraise=False, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
    )


def _utf8_table() -> Path:
    from hypothesis.internal import charmap as tables

    return Path(tables.charmap_file("codec-v2-utf-8"))


def hypothesis_tables_current() -> bool:
    from hypothesis.internal import charmap as tables

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hypothesis warns of a plugin touching its storage
        return Path(tables.charmap_file()).exists() and _utf8_table().exists()


def _hypothesis_tables(_: Path) -> None:
    """Hypothesis's tables of which characters ``st.text()`` draws from, ready before the
    xdist workers start, so that no worker of a fresh clone makes its own.

    Hypothesis makes them the first time a process needs them and keeps them in .hypothesis/.
    The character categories take a fraction of a second. ``st.text()``'s default alphabet is
    ``characters(codec="utf-8")``, and which characters a codec encodes Hypothesis finds by
    trying every code point, some 3 s of CPU; for UTF-8 the answer is known (every code point
    but the surrogates, each decoding back to itself), so it is stored in Hypothesis's format.
    Should that format change, Hypothesis cannot read the file and makes its own, as before.
    """
    import gzip
    import json

    from hypothesis.internal import charmap as tables

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hypothesis warns of a plugin touching its storage
        tables.charmap()
        stored = _utf8_table()
    if stored.exists():
        return
    stored.parent.mkdir(parents=True, exist_ok=True)
    partial = stored.with_name(f".{stored.name}.{os.getpid()}")
    with gzip.open(partial, "wt", encoding="utf-8") as table:
        json.dump([[[0, 0xD7FF], [0xE000, 0x10FFFF]], []], table)
    partial.replace(stored)
