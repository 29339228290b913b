"""Everything the action tells people and later steps: log lines, annotations, outputs, summary.

Every line leaves through ``Reporter._print``, after the registered secrets are scrubbed, the
text is cut and ``text.log_line`` has escaped it, so no message can carry the API token or a
workflow command, whatever text reaches it (an input, an exception, a server body). A message is
one line: a line break inside it is shown as ``\\n``. Only ``block`` prints several lines, for our
own multi-line text (the dry-run body), each line escaped on its own.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TextIO

from .. import text
from ..text import MAX_MESSAGE, Scrubber, log_line, visible

# What each runner file is for, said when it cannot be written. GITHUB_STATE and GITHUB_ENV are
# written only by track-job (main.py, _register_post_step): without them no post step runs.
_RUNNER_FILE_ROLE = {
    "GITHUB_OUTPUT": "the step outputs could not be written",
    "GITHUB_STEP_SUMMARY": "the job summary could not be written",
    "GITHUB_STATE": "track-job's post step could not be registered, so it will not send the "
    "final state",
    "GITHUB_ENV": "track-job's post step could not be turned on for the job, so it will not send "
    "the final state",
}


class RunnerFileFailure(NamedTuple):
    """A runner file (``GITHUB_OUTPUT``, ...) that could not be written, and why."""

    variable: str
    path: Path
    reason: str

    def describe(self) -> str:
        return f"{_RUNNER_FILE_ROLE[self.variable]} to {self.variable}={self.path}: {self.reason}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


@dataclass
class Reporter:
    github: bool
    debug_enabled: bool
    output_path: Path | None = None
    summary_path: Path | None = None
    state_path: Path | None = None  # GITHUB_STATE: read back by this action's post step
    env_path: Path | None = None  # GITHUB_ENV: seen by the later steps of the job
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    # The process's scrubber, looked up when the reporter is made (tests give each run its own):
    # text cut elsewhere (text.preview) is scrubbed with the same secrets.
    secrets: Scrubber = field(default_factory=lambda: text.SECRETS)
    # Runner files that could not be written: the run goes on (the event may already be with
    # Compass), and main.py reports them once, at the end, under fail-on.
    runner_file_failures: list[RunnerFileFailure] = field(default_factory=list)
    # The last outputs set, written or not: they say what was delivered.
    last_outputs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Reporter:
        def path(name: str) -> Path | None:
            value = environ.get(name, "").strip()
            return Path(value) if value else None

        return cls(
            github=environ.get("GITHUB_ACTIONS") == "true",
            debug_enabled=environ.get("RUNNER_DEBUG") == "1",
            output_path=path("GITHUB_OUTPUT"),
            summary_path=path("GITHUB_STEP_SUMMARY"),
            state_path=path("GITHUB_STATE"),
            env_path=path("GITHUB_ENV"),
        )

    # -- secrets -------------------------------------------------------------------------

    def add_secret(self, value: str | None) -> None:
        """Mask a secret in the runner's log and scrub it from everything written here."""
        self._mask(self.secrets.add(value))

    def add_credentials(self, user: str | None, token: str | None) -> None:
        self._mask(self.secrets.add_credentials(user, token))

    def _mask(self, forms: Iterable[str]) -> None:
        # The runner masks these in this step's log and in every later step's; the line itself
        # is consumed, not shown. Case variants are masked too, as the runner matches exactly.
        if not self.github:
            return
        for form in forms:
            for variant in dict.fromkeys((form, form.lower(), form.upper())):
                # Undecodable bytes (lone surrogates) cannot be printed as they are, so they
                # never reach the log unescaped; everything printed is scrubbed before that.
                if not _has_surrogates(variant):
                    self._command("add-mask", _escape_data(variant))

    def scrub(self, text: str) -> str:
        return self.secrets.scrub(text)

    # -- log lines ----------------------------------------------------------------------

    def _line(self, message: str) -> str:
        """A message as one safe line: scrubbed, then cut, then escaped."""
        return log_line(self.secrets.preview(message, MAX_MESSAGE))

    def _lines(self, text: str) -> list[str]:
        """Our own multi-line text as safe lines, one for each of its lines."""
        return [self._line(line) for line in self.secrets.scrub(text).split("\n")]

    @staticmethod
    def _print(stream: TextIO, line: str) -> None:
        print(line, file=stream, flush=True)

    def _command(self, name: str, data: str, properties: str = "") -> None:
        """The only way a workflow command is printed; ``data`` and ``properties`` are escaped."""
        self._print(self.out, f"::{name}{properties}::{data}")

    def info(self, message: str) -> None:
        self._print(self.out, self._line(message))

    def block(self, text: str) -> None:
        for line in self._lines(text):
            self._print(self.out, line)

    def debug(self, message: str, detail: str = "") -> None:
        """A debug line, and our own multi-line ``detail`` (a body, a traceback) below it."""
        if not self.debug_enabled:
            return
        lines = [self._line(message)] + (self._lines(detail) if detail else [])
        if self.github:
            self._command("debug", "%0A".join(map(_escape_data, lines)))
        else:
            for line in lines:
                self._print(self.err, f"debug: {line}")

    def annotate(self, level: str, message: str, title: str | None = None) -> None:
        """``level`` is error, warning or notice: an annotation on GitHub, a line elsewhere."""
        text = self._line(message)
        label = self._line(title) if title else ""
        if self.github:
            props = f" title={_escape_property(label)}" if label else ""
            self._command(level, _escape_data(text), props)
        else:
            self._print(self.err, f"{level}: {label}: {text}" if label else f"{level}: {text}")

    def group(self, title: str, body: str) -> None:
        if self.github:
            self._command("group", _escape_data(self._line(title)))
            self.block(body)
            self._command("endgroup", "")
        else:
            self.info(f"{title}:")
            self.block(body)

    # -- outputs and summary ----------------------------------------------------------------

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write step outputs with a fresh heredoc delimiter, so any value may span lines."""
        self.last_outputs = dict(outputs)
        if self.output_path is None:
            self.info("Outputs:")
            for name, value in outputs.items():
                if value:
                    self.info(f"  {name}={visible(value)}")
            return
        self._file_command("GITHUB_OUTPUT", self.output_path, outputs)

    def save_state(self, name: str, value: str) -> None:
        """For this action's post step, which gets it as ``STATE_<name>``."""
        if self.state_path is not None:
            self._file_command("GITHUB_STATE", self.state_path, {name: value})

    def export_env(self, name: str, value: str) -> None:
        """A variable for the later steps of the job (and their ``if:`` conditions)."""
        if self.env_path is not None:
            self._file_command("GITHUB_ENV", self.env_path, {name: value})

    def _file_command(self, variable: str, path: Path, values: Mapping[str, str]) -> None:
        """Append ``name<<delimiter`` blocks with fresh delimiters, so any value may span lines."""
        chunks = []
        for name, value in values.items():
            value = self.scrub(value)
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        self._append(variable, path, "".join(chunks))

    def write_summary(self, markdown: str) -> None:
        """Append Markdown whose values were escaped by ``text.markdown_text`` (see results)."""
        if self.summary_path is None:
            return
        self._append("GITHUB_STEP_SUMMARY", self.summary_path, self.scrub(markdown))

    def _append(self, variable: str, path: Path, content: str) -> None:
        """Append to a runner file in one write; a file that cannot be written (a folder, a
        missing folder, read-only, a full disk) is recorded, not raised: by then Compass may
        have accepted the event, and the run must say so rather than end as a bug of ours."""
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(content)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            if all(failure.variable != variable for failure in self.runner_file_failures):
                self.runner_file_failures.append(RunnerFileFailure(variable, path, reason))

    def delivered_so_far(self) -> str:
        """What the run did with Compass, from its outputs, for a message about a runner file."""
        status = self.last_outputs.get("status", "")
        said = {
            "dry-run": "Dry run: nothing was sent",
            "preflight": "Preflight: nothing was sent",
            "skipped": "Nothing was sent to Compass",
        }
        if status in said:
            return said[status]
        if self.last_outputs.get("delivered") == "true":
            several = self.last_outputs.get("results", "").count('"component"') > 1
            return (
                "Compass accepted every component's event"
                if several
                else ("Compass accepted the event")
            )
        if self.last_outputs:
            return "The event was not delivered (see the messages above)"
        return "The run did not finish"
