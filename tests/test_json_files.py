"""The JSON files the runner and earlier steps leave, read as untrusted input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compass_action.json_files import JsonObject, read_json_object

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
