"""Everything the action tells people and later steps: log lines, annotations, outputs, summary.

Every line leaves through ``Reporter``, which scrubs the registered secrets first, so no message,
output or summary can carry the API token, whatever text reaches it (an exception, a server body).
"""

from __future__ import annotations

import base64
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

_REDACTED = "***"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _neutralise_commands(line: str) -> str:
    """A logged line that starts with '::' would be run by the runner as a workflow command."""
    return line.replace("::", ": :", 1) if line.lstrip().startswith("::") else line


@dataclass
class Reporter:
    github: bool
    debug_enabled: bool
    output_path: Path | None = None
    summary_path: Path | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _secrets: list[str] = field(default_factory=list)

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
        )

    # -- secrets -------------------------------------------------------------------------

    def add_secret(self, value: str | None) -> None:
        """Mask a secret in the runner's log and scrub it from everything written here."""
        if not value or not value.strip():
            return
        for variant in {value, value.strip()}:
            if variant not in self._secrets:
                self._secrets.append(variant)
                if self.github:
                    print(f"::add-mask::{_escape_data(variant)}", file=self.out, flush=True)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets.sort(key=len, reverse=True)

    def add_credentials(self, user: str | None, token: str | None) -> None:
        self.add_secret(token)
        if user and token:
            for pair in {f"{user}:{token}", f"{user.strip()}:{token.strip()}"}:
                self.add_secret(base64.b64encode(pair.encode()).decode())

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text

    # -- log lines ----------------------------------------------------------------------

    def info(self, message: str) -> None:
        for line in self.scrub(message).splitlines() or [""]:
            print(_neutralise_commands(line) if self.github else line, file=self.out, flush=True)

    def debug(self, message: str) -> None:
        if not self.debug_enabled:
            return
        if self.github:
            print(f"::debug::{_escape_data(self.scrub(message))}", file=self.out, flush=True)
        else:
            print(f"debug: {self.scrub(message)}", file=self.err, flush=True)

    def annotate(self, level: str, message: str, title: str | None = None) -> None:
        """``level`` is error, warning or notice: an annotation on GitHub, a line elsewhere."""
        message = self.scrub(message)
        if self.github:
            props = f" title={_escape_property(self.scrub(title))}" if title else ""
            print(f"::{level}{props}::{_escape_data(message)}", file=self.out, flush=True)
        else:
            label = f"{title}: " if title else ""
            print(f"{level}: {label}{message}", file=self.err, flush=True)

    def group(self, title: str, body: str) -> None:
        if self.github:
            print(f"::group::{_escape_data(self.scrub(title))}", file=self.out)
            self.info(body)
            print("::endgroup::", file=self.out, flush=True)
        else:
            self.info(f"{title}:\n{body}")

    # -- outputs and summary ----------------------------------------------------------------

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write step outputs with a fresh heredoc delimiter, so any value may span lines."""
        if self.output_path is None:
            listing = "\n".join(f"  {name}={value}" for name, value in outputs.items() if value)
            self.info(f"Outputs:\n{listing}")
            return
        chunks = []
        for name, value in outputs.items():
            value = self.scrub(value)
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            while delimiter in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        with self.output_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(chunks))

    def write_summary(self, markdown: str) -> None:
        if self.summary_path is None:
            return
        with self.summary_path.open("a", encoding="utf-8") as handle:
            handle.write(self.scrub(markdown))
