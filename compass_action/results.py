"""What a run produced, as step outputs and as the job summary table."""

from __future__ import annotations

from dataclasses import dataclass

from .event_builder import BuiltEvent


@dataclass(frozen=True)
class RunResult:
    """How the run ended, in the terms of the ``status`` and ``delivered`` outputs."""

    status: str  # the HTTP status, "dry-run", "skipped", or "" when no answer came
    delivered: bool
    headline: str  # one sentence for the summary


def outputs(event: BuiltEvent | None, result: RunResult) -> dict[str, str]:
    """Every output of action.yml, always all of them, so later steps can rely on each."""
    values = {
        "payload": "",
        "status": result.status,
        "delivered": "true" if result.delivered else "false",
        "event-type": "",
        "state": "",
        "pipeline-id": "",
        "environment-id": "",
        "environment-category": "",
        "sequence-number": "",
        "update-sequence-number": "",
    }
    if event is not None:
        values |= {
            "payload": event.json_text,
            "event-type": event.event_type.value,
            "state": event.state,
            "pipeline-id": event.pipeline_id,
            "environment-id": event.environment_id or "",
            "environment-category": event.environment.category.value if event.environment else "",
            "sequence-number": "" if event.sequence_number is None else str(event.sequence_number),
            "update-sequence-number": str(event.update_sequence_number),
        }
    return values


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def summary(event: BuiltEvent, result: RunResult) -> str:
    request = event.request
    rows = [
        ("Event", f"{event.event_type.value}, state **{event.state}**"),
        ("Component", f"`{request.component_id}`"),
    ]
    if event.environment is not None:
        env = event.environment
        rows.append(
            (
                "Environment",
                f"{env.name} → **{env.category.value}** (because of {env.category_reason})",
            )
        )
    rows.append(("Pipeline ID", f"`{event.pipeline_id}`"))
    if event.environment_id is not None:
        rows.append(("Environment ID", f"`{event.environment_id}`"))
    if event.sequence_number is not None:
        rows.append(("Sequence number", f"`{event.sequence_number}`"))
    rows.append(("Update sequence number", f"`{event.update_sequence_number}`"))
    rows.append(("Result", result.headline))
    table = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    return f"### Compass {event.event_type.value} event\n\n| | |\n|---|---|\n{table}\n\n"


def skipped_summary(reason: str) -> str:
    return f"### Compass event not sent\n\nNothing was sent: {_cell(reason)}.\n\n"
