"""The job ledger: what earlier steps sent, read as untrusted input and checked before use."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from compass_action.events.contract import MAX_SAFE_INTEGER
from compass_action.events.ledger import Entry, JobLedger

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
STARTED = "2026-11-22T11:53:00.000Z"


def ledger_at(path: Path, warnings: list[str]) -> JobLedger:
    return JobLedger(path, warnings.append, lambda: NOW)


def write(path: Path, entry: object) -> None:
    path.write_text(json.dumps({"k": entry}), encoding="utf-8")


def test_a_valid_entry_is_used_without_a_warning(tmp_path: Path) -> None:
    path, warnings = tmp_path / "ledger.json", list[str]()
    write(path, {"started_at": STARTED, "update_sequence_number": MAX_SAFE_INTEGER})
    assert ledger_at(path, warnings).get("k") == Entry(STARTED, MAX_SAFE_INTEGER)
    assert warnings == []


@pytest.mark.parametrize(
    "entry",
    [
        "2026-11-22T11:53:00.000Z",
        {"started_at": 1763812380, "update_sequence_number": 5},
        {"started_at": "yesterday", "update_sequence_number": 5},
        {"started_at": "2026-11-22T11:53:00Z", "update_sequence_number": 5},  # not what put writes
        {"started_at": "2026-02-30T11:53:00.000Z", "update_sequence_number": 5},
        {"started_at": "0999-12-31T23:59:59.000Z", "update_sequence_number": 5},
        {"started_at": "1969-12-31T23:59:59.999Z", "update_sequence_number": 5},
        {"started_at": "9999-12-31T23:59:59.999Z", "update_sequence_number": 5},
        {"started_at": "٢٠٢٦-11-22T11:53:00.000Z", "update_sequence_number": 5},
        {"started_at": STARTED, "update_sequence_number": True},
        {"started_at": STARTED, "update_sequence_number": -1},
        {"started_at": STARTED, "update_sequence_number": 2**53},
        {"started_at": STARTED, "update_sequence_number": 5.0},
        {"started_at": STARTED, "update_sequence_number": "5"},
        {"started_at": STARTED},
    ],
)
def test_a_garbage_entry_is_ignored_with_a_warning(tmp_path: Path, entry: object) -> None:
    path, warnings = tmp_path / "ledger.json", list[str]()
    write(path, entry)
    assert ledger_at(path, warnings).get("k") is None
    assert warnings == [
        f"The job's record of earlier sends ({path}) has an entry that is not a valid start time "
        "and update sequence number; ignored, so this send does not continue what earlier "
        "steps of the job sent"
    ]


def test_a_start_slightly_after_now_survives_a_clock_stepped_back(tmp_path: Path) -> None:
    path, warnings = tmp_path / "ledger.json", list[str]()
    ahead = "2026-11-22T12:00:05.000Z"
    write(path, {"started_at": ahead, "update_sequence_number": 7})
    assert ledger_at(path, warnings).get("k") == Entry(ahead, 7)


def test_a_fifo_at_the_path_is_reported_once_and_replaced(tmp_path: Path) -> None:
    path, warnings = tmp_path / "sent-events.json", list[str]()
    os.mkfifo(path)
    ledger = ledger_at(path, warnings)
    assert ledger.get("k") is None
    ledger.put("k", Entry(STARTED, 5))
    assert warnings == [
        f"The job's record of earlier sends ({path}) is a FIFO, not a regular file; ignored, so "
        "this send does not continue what earlier steps of the job sent"
    ]
    assert ledger_at(path, []).get("k") == Entry(STARTED, 5)  # a regular file now


def test_a_directory_at_the_path_leaves_no_temporary_file(tmp_path: Path) -> None:
    path, warnings = tmp_path / "sent-events.json", list[str]()
    path.mkdir()
    ledger = ledger_at(path, warnings)
    ledger.put("k", Entry(STARTED, 5))
    assert ledger.get("k") is None
    # The lock stays (removing it would race with the next writer); no temporary file does.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sent-events.json",
        "sent-events.json.lock",
    ]
    assert warnings == [
        f"The job's record of earlier sends ({path}) is a directory, not a regular file; "
        "ignored, so this send does not continue what earlier steps of the job sent",
        f"The job's record of earlier sends ({path}) could not be written (Is a directory); the "
        "event was delivered, but a later step of the job sending it again will not continue "
        "from this send",
    ]


def test_a_huge_ledger_is_ignored_and_replaced_by_a_small_one(tmp_path: Path) -> None:
    path, warnings = tmp_path / "sent-events.json", list[str]()
    with path.open("wb") as handle:
        handle.truncate(8 * 1024**3)
    ledger = ledger_at(path, warnings)
    ledger.put("k", Entry(STARTED, 5))
    assert warnings == [
        f"The job's record of earlier sends ({path}) is larger than 1048576 bytes; ignored, so "
        "this send does not continue what earlier steps of the job sent"
    ]
    assert path.stat().st_size < 200


def test_a_deeply_nested_ledger_is_ignored(tmp_path: Path) -> None:
    path, warnings = tmp_path / "sent-events.json", list[str]()
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert ledger_at(path, warnings).get("k") is None
    assert warnings == [
        f"The job's record of earlier sends ({path}) nests too deeply to be read; ignored, so "
        "this send does not continue what earlier steps of the job sent"
    ]


def test_the_wall_clock_bounds_recorded_starts_by_default(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    write(
        path,
        {"started_at": tomorrow.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "update_sequence_number": 5},
    )
    assert JobLedger(path).get("k") is None
