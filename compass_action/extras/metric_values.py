"""The ``metrics`` input: a YAML mapping of metric definitions (an ARI, or a name) to numbers.

The text is written by anyone with write access to the workflow, so it is read with the bounds
of ``properties``: a size limit, no anchors or aliases, and duplicate keys refused (YAML would
keep the last silently). Every scalar is read as text and then as a number by one strict rule,
because YAML's own rules would read ``1_234`` as 1234, ``0x1A`` as 26 and ``1:30`` as 90: a
value that is not plainly a number (``85%``, ``1,234``) is refused naming its metric, never
guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

METRICS_LIMIT = 16 * 1024
# A step reports a few metrics; each is one request per component against 100 a minute.
MAX_METRICS = 20
# A metric definition's ARI: ari:cloud:compass:<cloud-id>:metric-definition/<workspace>/<id>;
# Compass's built-in definitions have no cloud ID in theirs
# (ari:cloud:compass::metric-definition/builtin/build-success-rate).
METRIC_DEFINITION_ARI = re.compile(
    r"^ari:cloud:compass:(?P<cloud_id>[A-Za-z0-9-]*):metric-definition/[A-Za-z0-9-]+/[A-Za-z0-9-]+$"
)
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_LOADER: type[yaml.BaseLoader] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


@dataclass(frozen=True)
class MetricValue:
    """One value to send: the definition as given (ARI or name), and where it came from."""

    metric: str
    value: float
    origin: str = "metrics"  # the input that gave it

    @property
    def is_ari(self) -> bool:
        return METRIC_DEFINITION_ARI.fullmatch(self.metric) is not None


def parse_number(text: str, metric: str) -> float:
    """``text`` as a finite number; ValueError naming ``metric`` and what to write instead."""
    given = text.strip()
    if not _NUMBER.fullmatch(given):
        hint = ""
        if not given:
            hint = "; is the output that should give it empty (did its step run)?"
        elif given.endswith("%"):
            hint = "; write the percentage as a plain number, e.g. 85 for 85 %"
        elif "," in given or "_" in given or " " in given:
            hint = "; write it without thousands separators, e.g. 1234"
        shown = given if len(given) <= 40 else given[:40] + "…"
        raise ValueError(f"the value of {metric!r} is {shown!r}, not a number{hint}")
    value = float(given)
    if not math.isfinite(value):
        raise ValueError(f"the value of {metric!r} is {given!r}, too large to send")
    return value


class _Loader(_LOADER):  # type: ignore[valid-type,misc]
    """Every scalar as text; a key given twice is an error, not a silent overwrite."""


def _mapping(loader: yaml.BaseLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str) and key in seen:
            raise ValueError(f"names {key!r} twice; give each metric once")
        seen.add(key)
    return dict(loader.construct_mapping(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_mapping(text: str, limit: int = METRICS_LIMIT) -> dict[str, Any]:
    """The mapping ``text`` holds, every scalar as text; ValueError saying what is wrong."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > limit:
        raise ValueError(f"is {size} bytes long; at most {limit} are read")
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_LOADER)):
            raise ValueError("uses a YAML alias (*name); write each value out")
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - every scalar a string
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise ValueError(f"is not YAML{at}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ValueError(
            "must be a mapping of metric definitions (a name or an ARI) to numbers, "
            "e.g. 'Code coverage: 85.5'"
        )
    return data


def check_metric_reference(name: str) -> str:
    """A metric definition as an input names it: its ARI, or a name (looked up)."""
    if name.startswith("ari:") and METRIC_DEFINITION_ARI.fullmatch(name) is None:
        raise ValueError(
            f"{name!r} is not a metric definition ARI "
            "(ari:cloud:compass:<cloud-id>:metric-definition/<workspace>/<id>); "
            "give the ARI Compass shows or the definition's name"
        )
    return name


def parse_metrics(text: str) -> list[MetricValue]:
    """The values ``text`` gives, in order; ValueError naming the first metric that is wrong."""
    data = load_mapping(text)
    if len(data) > MAX_METRICS:
        raise ValueError(f"gives {len(data)} metrics; at most {MAX_METRICS} are sent by one step")
    values = []
    for metric, raw in data.items():
        name = metric.strip()
        if not name:
            raise ValueError("has an empty metric name")
        if not isinstance(raw, str):
            raise ValueError(f"the value of {name!r} is a list or mapping, not a number")
        check_metric_reference(name)
        values.append(MetricValue(name, parse_number(raw, name)))
    return values
