"""How a severity is read, from the ``severity`` input or an issue's labels: the one place.

Each kind has its own scale: an incident ONE (most severe) to FIVE, a vulnerability CRITICAL to
LOW, an alert's priority P1 to P5. People write incident levels several ways (``2``, ``sev2``,
``TWO``), so each spelling is accepted; what is not on the kind's scale is refused with the list.
"""

from __future__ import annotations

import re

from .contract import AlertPriority, EventType, IncidentLevel, VulnerabilityLevel

_INCIDENT_NUMBERS = {str(number): level.value for number, level in enumerate(IncidentLevel, 1)}
# The words an issue label may use for an incident's severity, as their levels.
_INCIDENT_WORDS = {"critical": "ONE", "high": "TWO", "medium": "THREE", "low": "FOUR"}
_SCALES: dict[EventType, tuple[str, ...]] = {
    EventType.INCIDENT: tuple(level.value for level in IncidentLevel),
    EventType.VULNERABILITY: tuple(level.value for level in VulnerabilityLevel),
    EventType.ALERT: tuple(priority.value for priority in AlertPriority),
}
_SPELLINGS = {
    EventType.INCIDENT: "ONE to FIVE, 1 to 5 or sev1 to sev5 (1 is the most severe)",
    EventType.VULNERABILITY: "CRITICAL, HIGH, MEDIUM or LOW",
    EventType.ALERT: "P1 to P5",
}
# `sev2`, `sev-2`, `SEV 2`, `severity:2`, `severity: high`, `severity/critical`.
# Compiled at the first label read (re keeps it), not by every run's import.
_LABEL = r"^(?:sev|severity)[\s:/_-]*(?P<value>[1-5]|critical|high|medium|low)$"


def severity_kinds() -> str:
    return ", ".join(kind.value for kind in _SCALES)


def resolve_severity(raw: str, event_type: EventType) -> str:
    """The level of ``raw`` on the kind's scale; raise ValueError naming what is accepted."""
    if event_type not in _SCALES:
        raise ValueError(
            f"{event_type.a} event has no severity; it applies to {severity_kinds()} events"
        )
    cleaned = raw.strip()
    upper = cleaned.upper()
    if event_type is EventType.INCIDENT:
        number = upper.removeprefix("SEV").strip(" -_")
        upper = _INCIDENT_NUMBERS.get(number, upper)
    if upper in _SCALES[event_type]:
        return upper
    raise ValueError(f"{cleaned!r} is not {event_type.a} severity; use {_SPELLINGS[event_type]}")


def incident_level_of_label(label: str) -> str | None:
    """The incident level a label names (``sev2`` -> TWO, ``severity:high`` -> TWO), if any."""
    match = re.fullmatch(_LABEL, label.strip().lower())
    if match is None:
        return None
    value = match["value"]
    return _INCIDENT_NUMBERS.get(value) or _INCIDENT_WORDS[value]


def most_severe_label(labels: list[str]) -> tuple[str, str] | None:
    """The label naming the most severe incident level, with that level; None if none does."""
    found = [(level, label) for label in labels if (level := incident_level_of_label(label))]
    if not found:
        return None
    order = _SCALES[EventType.INCIDENT]
    level, label = min(found, key=lambda item: order.index(item[0]))
    return label, level
