"""Bad input, described so that a person knows which input to fix."""

from __future__ import annotations

from typing import NamedTuple

from .input_names import variable_name


class Problem(NamedTuple):
    """One thing wrong with the configuration; ``input`` is the action input at fault."""

    input: str
    message: str

    @property
    def env_var(self) -> str:
        """The variable that carries the input (a run-context problem names its variable)."""
        if self.input.startswith("GITHUB_"):
            return self.input
        return variable_name(self.input)

    def __str__(self) -> str:
        return f"{self.input}: {self.message}"


class InputProblems(Exception):
    """Raised before any network call when the inputs cannot make a valid event."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def check_text(value: str) -> None:
    """Refuse text made from bytes that are not UTF-8, without repeating it (it may be a secret).

    Python hands such bytes in the environment over as lone surrogates, which every later encode
    (the Basic credentials, the log, the request body) would fail on.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid UTF-8 text; set it again from a clean copy") from None
