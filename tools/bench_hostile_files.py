"""Time and peak memory of the action's file handling under hostile input (issue 20, files).

Each case runs in a fresh Python process, so its peak resident memory (VmHWM) is its own;
``baseline`` is that process's peak after importing the code, before the case ran, and
``added`` the difference. The numbers go in docs/hostile-input.md.

    .venv/bin/python -m tools.bench_hostile_files [case ...]
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

REPO = Path(__file__).resolve().parent.parent
API = (
    "ari:cloud:compass:00000000-0000-4000-8000-000000000000:component/"
    "0000000a-aaaa-4bbb-8ccc-0123456789ab/0000000a-aaaa-4bbb-8ccc-0123456789ab"
)


def _merge_bomb(levels: int = 9, width: int = 9) -> str:
    """The issue's shape: each level merges the one below ``width`` times (about 700 bytes)."""
    lines = ["a0: &a0 {k0: v, k1: v, k2: v}"]
    for level in range(1, levels + 1):
        merged = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level}\n  <<: [{merged}]\n  k{level}: v")
    return f"id: '{API}'\n" + "\n".join(lines) + "\n"


def padded_compass_yml(head: str, size: int) -> str:
    """``head`` (a compass.yml) padded with many small labels to ``size`` bytes: the slow case
    to parse. The tests make their large files with it too."""
    head += "labels:\n"
    lines: list[str] = []
    total = len(head)
    while total < size - 32:
        line = f"  - label-{len(lines):07d}\n"
        lines.append(line)
        total += len(line)
    return head + "".join(lines)


# -- the cases: prepare(folder) writes the input; run(folder) is measured in a fresh process ---


def _prepare_yaml_bomb(folder: Path) -> None:
    (folder / "compass.yml").write_text(_merge_bomb())


def _prepare_yaml_large(folder: Path) -> None:
    text = padded_compass_yml(f"id: '{API}'\nname: big\ntypeId: SERVICE\n", 256 * 1024 - 64)
    for n in range(10):
        (folder / f"c{n}").mkdir()
        (folder / f"c{n}" / "compass.yml").write_text(text)


def _prepare_yaml_deep(folder: Path) -> None:
    (folder / "compass.yml").write_text("[" * 131_000 + "]" * 131_000)


def _run_components(folder: Path) -> str:
    from compass_action.components import find_components
    from compass_action.limits import Deadline

    found = find_components(str(folder), ["**/compass.yml"], Deadline(5))
    return f"{len(found.components)} component(s); {found.warnings[:1]}"


def _payload(folder: Path, body: bytes) -> None:
    (folder / "event.json").write_bytes(body)


def _prepare_payload_huge(folder: Path) -> None:
    # 31 MiB of small objects: ten million dicts when parsed whole.
    _payload(folder, b'{"action":"x","j":[' + b"{}," * (31 * 1024 * 1024 // 3) + b"{}]}")


def _prepare_payload_dicts(folder: Path) -> None:
    _payload(folder, b'{"j":[' + b"{}," * 370_000 + b"{}]}")  # just under the bound


def _prepare_payload_keys(folder: Path) -> None:
    pairs = b",".join(b'"key%07d":{}' % n for n in range(370_000))
    _payload(folder, b"{" + pairs + b"}")


def _prepare_payload_strings(folder: Path) -> None:
    _payload(folder, b'{"j":[' + b'"%s",' % (b"x" * 28) * 740_000 + b'""]}')


def _prepare_payload_real(folder: Path) -> None:
    source = REPO / "tests/fixtures/webhooks/pull_request/opened.payload.json"
    _payload(folder, source.read_bytes())


def _run_payload(folder: Path) -> str:
    from compass_action.github.run_context import EVENT_LIMIT
    from compass_action.json_files import read_json_object

    read = read_json_object(folder / "event.json", EVENT_LIMIT)
    return f"problem: {read.problem}; {len(read.data)} top-level keys"


def _prepare_git(folder: Path) -> None:
    bin_folder = folder / "bin"
    bin_folder.mkdir()
    git = bin_folder / "git"
    git.write_text("#!/bin/sh\nhead -c 262144000 /dev/zero | tr '\\0' 'a'\n")
    git.chmod(0o755)


def _run_git(folder: Path) -> str:
    os.environ["PATH"] = f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}"
    from compass_action.changes import git_diff
    from compass_action.limits import Deadline

    files, why = git_diff(str(folder), "a" * 40, "b" * 40, Deadline(30))
    return f"files: {files}; {why}"


def _ledger_writer(path: str, name: str, rounds: int, barrier: Any) -> None:
    from compass_action.events.ledger import Entry, JobLedger

    for round_ in range(rounds):
        barrier.wait()
        JobLedger(Path(path)).put(f"{round_}-{name}", Entry("2026-11-22T11:53:00.000Z", round_))


def _prepare_nothing(folder: Path) -> None:
    return None


def _run_ledger(folder: Path) -> str:
    writers, rounds = 4, 50
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(writers)
    path = folder / "sent-events.json"
    processes = [
        context.Process(target=_ledger_writer, args=(str(path), str(n), rounds, barrier))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    kept = len(json.loads(path.read_text()))
    return f"{kept} of {writers * rounds} entries kept ({writers} writers x {rounds} rounds)"


def _run_kept_file(folder: Path) -> str:
    from compass_action.kept_files import update_json_file

    def add(n: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def change(old: dict[str, Any]) -> dict[str, Any]:
            return {**old, str(n): n}

        return change

    started = time.perf_counter()
    for n in range(200):
        update_json_file(folder, PurePosixPath("f.json"), add(n), 2**20)
    return f"{(time.perf_counter() - started) / 200 * 1000:.2f} ms a write (lock, fsync, rename)"


CASES: dict[str, tuple[Callable[[Path], None], Callable[[Path], str]]] = {
    "yaml-merge-bomb": (_prepare_yaml_bomb, _run_components),
    "yaml-10-files-of-256KB": (_prepare_yaml_large, _run_components),
    "yaml-nested-131000-deep": (_prepare_yaml_deep, _run_components),
    "payload-31MiB-small-objects": (_prepare_payload_huge, _run_payload),
    "payload-370k-empty-objects": (_prepare_payload_dicts, _run_payload),
    "payload-370k-keys": (_prepare_payload_keys, _run_payload),
    "payload-740k-strings": (_prepare_payload_strings, _run_payload),
    "payload-github-pull-request": (_prepare_payload_real, _run_payload),
    "git-diff-250MB": (_prepare_git, _run_git),
    "ledger-4-concurrent-writers": (_prepare_nothing, _run_ledger),
    "kept-file-write": (_prepare_nothing, _run_kept_file),
}


def _megabytes() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: the latter keeps the
    parent's peak across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(case: str, folder: Path) -> None:
    """Measure one case in this (fresh) process and print its numbers as JSON."""
    import compass_action.components
    import compass_action.github.run_context  # noqa: F401 - the imports are the baseline

    baseline = _megabytes()
    started = time.perf_counter()
    outcome = CASES[case][1](folder)
    seconds = time.perf_counter() - started
    peak = _megabytes()
    print(json.dumps({"seconds": seconds, "peak": peak, "baseline": baseline, "out": outcome}))


def main(names: list[str]) -> None:
    for case in names or list(CASES):
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            CASES[case][0](folder)
            done = subprocess.run(
                [sys.executable, "-m", "tools.bench_hostile_files", "--child", case, temporary],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
        result = json.loads(done.stdout.splitlines()[-1])
        added = result["peak"] - result["baseline"]
        print(
            f"{case}: {result['seconds']:.2f} s, peak {result['peak']:.0f} MB "
            f"(baseline {result['baseline']:.0f} MB, added {added:.0f} MB); {result['out'][:160]}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], Path(sys.argv[3]))
    else:
        main(sys.argv[1:])
