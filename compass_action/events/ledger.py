"""What earlier steps of this job sent, so that later sends of the same event agree with them.

GitHub gives a step no start time for its job, and each container step is a fresh process. The
runner mounts one home directory (``/github/home``) into every container step of a job and
empties it for the next job, so a small file there carries, per event, when it started and the
last update sequence number sent. The final send of a deployment then reports the ``startedAt``
of its IN_PROGRESS send, and its update sequence number is larger even if the clock stepped back.

Anything in that directory could have put the file there, so it is read like untrusted input:
through the hardened reader in ``json_files``, and each entry checked before it is used. A file
or entry that fails is ignored with a warning, costing only the continuity, never the send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from ..json_files import read_json_object
from ..kept_files import WriteFailed, update_json_file
from ..limits import Deadline
from ..text import parse_rfc3339
from .contract import MAX_SAFE_INTEGER

_FILE = Path(".compass-action") / "sent-events.json"
# An entry is about 200 bytes; a job would need thousands of sends to come near this.
LEDGER_LIMIT = 1024 * 1024
# A start recorded by an earlier step lies before now; this much later is tolerated, because the
# clock may have been stepped back between the steps, and refusing the entry would also drop its
# update sequence number, the continuity that matters most.
_CLOCK_SLACK = timedelta(hours=1)
_COST = "this send does not continue what earlier steps of the job sent"


class Entry(NamedTuple):
    started_at: str
    update_sequence_number: int


def _ignore(_message: str) -> None:
    return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JobLedger:
    """``warn`` hears why a file or an entry was ignored; ``now`` bounds the recorded starts.

    ``root`` is the folder the file must stay in (HOME; the file's own folder by default): a
    path leading out of it is not read, and no folder below it is followed as a symlink when
    writing. ``deadline`` bounds the wait for another step's lock on the file.
    """

    def __init__(
        self,
        path: Path | None,
        warn: Callable[[str], None] = _ignore,
        now: Callable[[], datetime] = _utc_now,
        *,
        root: Path | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self._path = path
        self._root = root if root is not None or path is None else path.parent
        self._warn = warn
        self._now = now
        self._deadline = deadline
        self._data: dict[str, Any] | None = None

    @classmethod
    def for_environ(
        cls,
        environ: Mapping[str, str],
        warn: Callable[[str], None] = _ignore,
        now: Callable[[], datetime] = _utc_now,
        deadline: Deadline | None = None,
    ) -> JobLedger:
        """A ledger in the job's home directory on GitHub; none elsewhere, where HOME is shared."""
        home = environ.get("HOME", "")
        if environ.get("GITHUB_ACTIONS") != "true" or not home:
            return cls(None, warn, now)
        return cls(Path(home) / _FILE, warn, now, root=Path(home), deadline=deadline)

    def _entries(self) -> dict[str, Any]:
        """The file's object, read once per process, so a broken file is reported once."""
        if self._data is None:
            read = read_json_object(self._path, LEDGER_LIMIT, self._root)
            if read.problem is not None:
                self._warn(f"{self._what} {read.problem}; ignored, so {_COST}")
            self._data = read.data
        return self._data

    @property
    def _what(self) -> str:
        return f"The job's record of earlier sends ({self._path})"

    def get(self, key: str) -> Entry | None:
        item = self._entries().get(key)
        if item is None:
            return None
        entry = _valid_entry(item, self._now() + _CLOCK_SLACK)
        if entry is None:
            self._warn(
                f"{self._what} has an entry that is not a valid start time and update sequence "
                f"number; ignored, so {_COST}"
            )
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Record the entry; a ledger that cannot be written only costs the continuity.

        The file is read again and changed under its lock (kept_files.py), so an entry another
        step recorded meanwhile is kept, not overwritten with what this step read at its start.
        """
        if self._path is None or self._root is None:
            return
        self._entries()  # a broken file is reported before it is replaced
        item = {
            "started_at": entry.started_at,
            "update_sequence_number": entry.update_sequence_number,
        }
        relative = PurePosixPath(self._path.relative_to(self._root).as_posix())
        try:
            self._data = update_json_file(
                self._root,
                relative,
                lambda current: {**current, key: item},
                LEDGER_LIMIT,
                self._deadline,
            )
        except WriteFailed as exc:
            self._warn(
                f"{self._what} could not be written ({exc}); the event was delivered, but a "
                "later step of the job sending it again will not continue from this send"
            )


def _valid_entry(item: object, latest: datetime) -> Entry | None:
    """The entry if it is what ``put`` writes: a start we could send, a number Compass reads."""
    if not isinstance(item, dict):
        return None
    started, usn = item.get("started_at"), item.get("update_sequence_number")
    if not isinstance(started, str):
        return None
    moment = parse_rfc3339(started)
    if moment is None or moment > latest:
        return None
    # bool is an int in Python; JSON true is no sequence number.
    if type(usn) is not int or not 0 <= usn <= MAX_SAFE_INTEGER:
        return None
    return Entry(started, usn)
