"""What earlier steps of this job sent, so that later sends of the same event agree with them.

GitHub gives a step no start time for its job, and each container step is a fresh process. The
runner mounts one home directory (``/github/home``) into every container step of a job and
empties it for the next job, so a small file there carries, per event, when it started and the
last update sequence number sent. The final send of a deployment then reports the ``startedAt``
of its IN_PROGRESS send, and its update sequence number is larger even if the clock stepped back.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .json_files import read_json_object

_FILE = Path(".compass-action") / "sent-events.json"


@dataclass(frozen=True)
class Entry:
    started_at: str
    update_sequence_number: int


class JobLedger:
    def __init__(self, path: Path | None) -> None:
        self._path = path

    @classmethod
    def for_environ(cls, environ: Mapping[str, str]) -> JobLedger:
        """A ledger in the job's home directory on GitHub; none elsewhere, where HOME is shared."""
        home = environ.get("HOME", "")
        if environ.get("GITHUB_ACTIONS") != "true" or not home:
            return cls(None)
        return cls(Path(home) / _FILE)

    def get(self, key: str) -> Entry | None:
        item = read_json_object(self._path).get(key)
        if not isinstance(item, dict):
            return None
        started, usn = item.get("started_at"), item.get("update_sequence_number")
        if isinstance(started, str) and isinstance(usn, int):
            return Entry(started, usn)
        return None

    def put(self, key: str, entry: Entry) -> None:
        """Record the entry; a ledger that cannot be written only costs the continuity."""
        if self._path is None:
            return
        data = read_json_object(self._path)
        data[key] = {
            "started_at": entry.started_at,
            "update_sequence_number": entry.update_sequence_number,
        }
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Write and rename, so a step that dies half-way leaves the old file whole.
            with tempfile.NamedTemporaryFile(
                "w", dir=self._path.parent, delete=False, encoding="utf-8"
            ) as handle:
                json.dump(data, handle)
            os.replace(handle.name, self._path)
        except OSError:
            return
