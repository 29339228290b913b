"""Benchmark: reading coverage and test reports of a large monorepo's size.

Generates, in memory, reports shaped as the tools write them: a Cobertura XML (as coverage.py
writes it) of ``--files`` files with 200 lines each, the lcov of the same, and a JUnit XML of
``--tests`` test cases; then times ``coverage_of`` and ``junit_counts`` on each (median of
``--runs``), with the report's size. Nothing is written to disk.

Run: ``.venv/bin/python -m tools.bench_reports [--files 5000] [--tests 20000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

from compass_action.extras.reports import coverage_of, junit_counts

LINES = 200


def cobertura(files: int) -> bytes:
    lines = "".join(f'<line number="{n}" hits="{n % 3}"/>' for n in range(1, LINES + 1))
    classes = "".join(
        f'<class name="m{i}.py" filename="pkg/m{i}.py" complexity="0" line-rate="0.66" '
        f'branch-rate="0"><methods/><lines>{lines}</lines></class>'
        for i in range(files)
    )
    valid, covered = files * LINES, files * (LINES - LINES // 3)
    return (
        f'<?xml version="1.0" ?><coverage version="7.18.0" lines-valid="{valid}" '
        f'lines-covered="{covered}" line-rate="{covered / valid:.4f}" branches-covered="0" '
        f'branches-valid="0" branch-rate="0" complexity="0"><sources><source>/src</source>'
        f'</sources><packages><package name="pkg" line-rate="0.66" branch-rate="0" '
        f'complexity="0"><classes>{classes}</classes></package></packages></coverage>'
    ).encode()


def lcov(files: int) -> bytes:
    record = "".join(f"DA:{n},{n % 3}\n" for n in range(1, LINES + 1))
    hit = LINES - LINES // 3
    return "".join(
        f"TN:\nSF:pkg/m{i}.py\n{record}LF:{LINES}\nLH:{hit}\nend_of_record\n" for i in range(files)
    ).encode()


def junit(tests: int) -> bytes:
    cases = "".join(
        f'<testcase classname="t.m{i // 50}" name="test_{i}" time="0.001"/>' for i in range(tests)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite '
        f'name="pytest" errors="0" failures="0" skipped="0" tests="{tests}">{cases}'
        "</testsuite></testsuites>"
    ).encode()


def _median(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--tests", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reports: dict[str, tuple[bytes, Callable[[bytes], object]]] = {
        "Cobertura XML": (cobertura(args.files), coverage_of),
        "lcov": (lcov(args.files), coverage_of),
        "JUnit XML": (junit(args.tests), junit_counts),
    }
    for name, (raw, parse) in reports.items():
        took = _median(functools.partial(parse, raw), args.runs)
        print(
            f"{name}: {len(raw) / 1e6:.1f} MB read in {took * 1000:.0f} ms (median of {args.runs})"
        )


if __name__ == "__main__":
    main()
