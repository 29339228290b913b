"""The JSON files the runner and earlier steps leave, read as untrusted input."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from compass_action.github.run_context import EVENT_LIMIT
from compass_action.json_files import MAX_VALUES, JsonObject, read_json_object

LIMIT = 4096


def test_no_path_is_empty() -> None:
    assert read_json_object(None, LIMIT) == JsonObject()


def test_a_payload_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"deployment": {"environment": "staging"}}), encoding="utf-8")
    assert read_json_object(path, LIMIT) == JsonObject({"deployment": {"environment": "staging"}})


def test_a_missing_file_is_empty_without_a_word(tmp_path: Path) -> None:
    assert read_json_object(tmp_path / "absent.json", LIMIT) == JsonObject()


def test_a_fifo_without_a_writer_does_not_block(tmp_path: Path) -> None:
    # A plain open() of a FIFO waits for a writer forever; the test would hang, not fail.
    fifo = tmp_path / "sent-events.json"
    os.mkfifo(fifo)
    assert read_json_object(fifo, LIMIT) == JsonObject(problem="is a FIFO, not a regular file")


def test_an_endless_device_is_not_read(tmp_path: Path) -> None:
    link = tmp_path / "event.json"
    link.symlink_to("/dev/zero")
    assert read_json_object(link, LIMIT) == JsonObject(problem="is a device, not a regular file")


def test_a_directory_is_not_read(tmp_path: Path) -> None:
    assert read_json_object(tmp_path, LIMIT) == JsonObject(
        problem="is a directory, not a regular file"
    )


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024**3)  # sparse: 64 GiB that take no disk
    assert read_json_object(path, LIMIT) == JsonObject(problem=f"is larger than {LIMIT} bytes")


def test_deep_nesting_is_refused_without_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    depth = 100_000
    path.write_text('{"a":' * depth + "1" + "}" * depth, encoding="utf-8")
    assert read_json_object(path, 10 * depth) == JsonObject(problem="nests too deeply to be read")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe{}", "is not UTF-8 JSON"),
        (b'{"a": ', "is not UTF-8 JSON"),
        (b"[1, 2]", "does not hold a JSON object"),
        (b"null", "does not hold a JSON object"),
    ],
)
def test_broken_content_is_named(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(content)
    assert read_json_object(path, LIMIT) == JsonObject(problem=problem)


def test_a_path_that_cannot_be_reached_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where a directory should be", encoding="utf-8")
    assert read_json_object(blocker / "event.json", LIMIT) == JsonObject(
        problem="cannot be read (Not a directory)"
    )


def test_a_payload_of_millions_of_small_objects_is_refused_while_it_is_read(
    tmp_path: Path,
) -> None:
    # 31 MiB of {}: ten million dicts, 878 MB when it was parsed whole.
    path = tmp_path / "event.json"
    path.write_bytes(b'{"action":"x","j":[' + b"{}," * (31 * 1024 * 1024 // 3) + b"{}]}")
    tracemalloc.start()
    started = time.perf_counter()
    read = read_json_object(path, EVENT_LIMIT)
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"31 MiB payload of small objects: {took:.3f} s, peak {peak:.1f} MB of Python memory")
    assert read == JsonObject(problem=f"holds more than {MAX_VALUES} values")
    assert peak < 10  # reading stopped at the bound, a few MB in


def test_a_payload_just_under_the_value_bound_is_read(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    items = MAX_VALUES // 2 - 10  # each {} counts its bracket and its comma
    path.write_bytes(b'{"j":[' + b"{}," * items + b"{}]}")
    assert len(read_json_object(path, EVENT_LIMIT).data["j"]) == items + 1


def test_a_number_past_pythons_digit_limit_is_named(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"deployment": {"id": ' + "9" * 5000 + "}}", encoding="utf-8")
    assert read_json_object(path, LIMIT * 4) == JsonObject(
        problem="holds a number of more than 4300 digits"
    )
