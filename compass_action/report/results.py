"""What a run produced, as step outputs and as the job summary table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from ..events.builder import BuiltEvent
from ..problems import Problem
from ..text import markdown_cell as cell
from ..text import markdown_code as _code


class RunResult(NamedTuple):
    """How the run ended, in the terms of the ``status`` and ``delivered`` outputs."""

    status: str  # the HTTP status, "dry-run", "skipped", or "" when no answer came
    delivered: bool
    headline: str  # one sentence for the summary
    recorded: bool | None = None  # what verify found; None when it was not asked or not run


class ComponentResult(NamedTuple):
    """One component's event and how its send ended: one entry of the ``results`` output."""

    event: BuiltEvent
    result: RunResult

    @property
    def component(self) -> str:
        return self.event.request.component_id

    def entry(self) -> dict[str, object]:
        return {
            "component": self.component,
            "status": self.result.status,
            "delivered": self.result.delivered,
        }


def outputs(
    event: BuiltEvent | None, result: RunResult, several: list[ComponentResult] | None = None
) -> dict[str, str]:
    """Every output of action.yml, always all of them, so later steps can rely on each.

    With several components, ``event`` and ``result`` are the first component's event and the
    run's overall result (see main._overall); ``results`` tells the components apart.
    """
    if several is None:
        several = [] if event is None else [ComponentResult(event, result)]
    values = {
        "payload": "",
        "status": result.status,
        "delivered": "true" if result.delivered else "false",
        "recorded": "" if result.recorded is None else "true" if result.recorded else "false",
        "event-type": "",
        "state": "",
        "pipeline-id": "",
        "environment-id": "",
        "environment-category": "",
        "sequence-number": "",
        "event-id": "",
        "update-sequence-number": "",
        "results": json.dumps([item.entry() for item in several], separators=(",", ":")),
        "metrics": "[]",  # extras/flow.py writes the metric values and uploads it sent
    }
    if event is not None:
        values |= {
            "payload": event.json_text,
            "event-type": event.event_type.value,
            "state": event.state,
            "pipeline-id": event.pipeline_id,
            "update-sequence-number": str(event.update_sequence_number),
            **event.facts.outputs(),
        }
    return values


def summary(event: BuiltEvent, result: RunResult) -> str:
    """The job summary table; every value passes ``cell``, only the layout is ours."""
    state = f", state **{cell(event.state)}**" if event.state else ""
    rows = [
        ("Event", f"{cell(event.event_type.value)}{state}"),
        ("Component", _code(event.request.component_id)),
    ]
    rows.extend(event.facts.summary_rows())
    if event.pipeline_id:
        rows.append(("Pipeline ID", _code(event.pipeline_id)))
    rows.extend(event.facts.summary_key_rows())
    rows.append(("Update sequence number", _code(event.update_sequence_number)))
    rows.append(("Result", cell(result.headline)))
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    kind = cell(event.event_type.value)
    return f"### Compass {kind} event\n\n| | |\n|---|---|\n{table}\n\n"


def several_summary(first: BuiltEvent, results: list[ComponentResult], headline: str) -> str:
    """The job summary of a run that reported several components: one row per component."""
    rows = "\n".join(
        f"| {_named(item)} | {cell(item.event.state)} | {cell(item.result.status)} | "
        f"{'yes' if item.result.delivered else 'no'} | {cell(item.result.headline)} |"
        for item in results
    )
    table = (
        "| Component | State | HTTP status | Delivered | Result |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
    )
    if first.label:  # several events of their own keys (an observer run's jobs)
        return f"### Compass events: {len(results)}\n\n{cell(headline)}\n\n{table}"
    kind = cell(first.event_type.value)
    return (
        f"### Compass {kind} events: {len(results)} components\n\n{cell(headline)}\n\n"
        f"Pipeline ID {_code(first.pipeline_id)}\n\n{table}"
    )


def _named(item: ComponentResult) -> str:
    """The component, after the event's label where one run sent several for it."""
    label = item.event.label
    return f"{cell(label)}: {_code(item.component)}" if label else _code(item.component)


def problems_summary(problems: Iterable[Problem]) -> str:
    """The job summary when the inputs were wrong: each input with what to fix."""
    listing = "\n".join(f"- <code>{cell(p.input)}</code>: {cell(p.message)}" for p in problems)
    return f"### Compass event not sent: fix the inputs\n\n{listing}\n\n"


def skipped_summary(reason: str) -> str:
    """The job summary when the run had nothing to report."""
    return f"### Compass event not sent\n\nNothing was sent: {cell(reason)}.\n\n"
