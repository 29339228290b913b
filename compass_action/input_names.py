"""How each input is named where it travels: ``action.yml``, the runner, our variables, the code.

An input ``api-token`` is set by the runner as ``INPUT_API-TOKEN`` (hyphens kept), mapped by
``action.yml``'s ``runs.env`` to ``COMPASS_API_TOKEN``, and read into the field ``api_token``.
Every translation between these names is made here.
"""

from __future__ import annotations

VARIABLE_PREFIX = "COMPASS_"


def input_name(field: str) -> str:
    """``api_token`` -> ``api-token``."""
    return field.replace("_", "-")


def variable_name(name: str) -> str:
    """``api-token`` -> ``COMPASS_API_TOKEN``, the variable ``action.yml`` maps it to."""
    return VARIABLE_PREFIX + name.upper().replace("-", "_")


def carrying_variables(name: str) -> frozenset[str]:
    """Every variable that may carry the input, upper-cased: ours and the runner's own
    ``INPUT_*`` (with its hyphens, and with underscores as other runners write it)."""
    upper = name.upper()
    return frozenset({variable_name(name), f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"})
