"""A model of how the GitHub runner finds workflow commands in a step's output, for test oracles.

After actions/runner src/Runner.Common/ActionCommand.cs: ``TryParseV2`` trims leading white
space and wants ``::name[ props]::data``; ``TryParse`` finds ``##[name[ props]]data`` anywhere
in the line. The model errs on the side of finding commands:
- it splits lines at every line break Python knows (the runner's reader splits at \\r and \\n);
- it drops default-ignorable characters before matching, as a culture-sensitive comparison may;
- it treats any name as a command (``stop-commands`` makes any token one).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PRINTABLE_IGNORABLES = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)


@dataclass(frozen=True)
class Command:
    name: str
    syntax: str  # "::" or "##["
    line: str


def _without_ignorables(line: str) -> str:
    if line.isascii():  # ASCII holds no format (Cf) character and none of the ignorables above
        return line
    return "".join(
        char
        for char in line
        if unicodedata.category(char) != "Cf" and not _PRINTABLE_IGNORABLES.match(char)
    )


def _v2(probe: str) -> str | None:
    trimmed = probe.lstrip()
    if not trimmed.startswith("::"):
        return None
    end = trimmed.find("::", 2)
    # Without the closing "::" the runner ignores the line; count it anyway.
    return trimmed[2 : end if end >= 0 else None].split(" ", 1)[0]


def _v1(probe: str) -> str | None:
    start = probe.find("##[")
    if start < 0:
        return None
    end = probe.find("]", start)
    if end < 0:
        # No command today, but one "]" later in the line would make it one: count it.
        return probe[start + 3 :].split(" ", 1)[0]
    return probe[start + 3 : end].split(" ", 1)[0]


def commands_in(output: str) -> list[Command]:
    """Every line of ``output`` the runner could act on, in order."""
    found = []
    for line in output.splitlines():
        probe = _without_ignorables(line)
        name = _v2(probe)
        if name is not None:
            found.append(Command(name, "::", line))
            continue
        name = _v1(probe)
        if name is not None:
            found.append(Command(name, "##[", line))
    return found
