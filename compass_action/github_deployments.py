"""GitHub deployments that no job reported: Vercel, Netlify, Argo CD, API calls (reconcile).

A tool that deploys outside Actions jobs announces each deployment to GitHub as a deployment and
its statuses. A reconcile sends every such deployment created in its window, the way a
``deployment_status`` run mirrors it (github-for-jira's backfill sends every GitHub deployment
the same way): keyed by the GitHub deployment, in the state of its last status that is not
``inactive`` (GitHub sets ``inactive`` on an earlier deployment when a later one succeeds; the
earlier one's outcome stays), numbered by that status's own time (events/identity.py), its
environment's category derived as for every deployment (events/environments.py). So a reconcile
and a live ``deployment_status`` run send the same key and number: Compass keeps one.

A deployment whose statuses link to a job's log (``.../actions/runs/<id>/job/<id>``, as GitHub
sets them for a job with ``environment:``) was a job's: the job's deployment is reconciled with
the job's key (observe.py), so it is left out here. Deployments without a status have no outcome
yet and are left out too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .clients.github_api import Deployment, DeploymentStatus, GitHubApi
from .events.builder import BuiltEvent, build_event
from .events.contract import EventType
from .events.identity import UpdateSequence
from .events.states import deployment_status_state
from .github import payload
from .github.run_context import RunContext
from .inputs import ActionInputs
from .limits import Deadline
from .problems import InputProblems

_JOB_LOG = re.compile(r"/actions/runs/[0-9]+/job/[0-9]+")


def _of_a_job(statuses: list[DeploymentStatus]) -> bool:
    return any(
        _JOB_LOG.search(link or "")
        for status in statuses
        for link in (status.log_url, status.target_url)
    )


def last_status(statuses: list[DeploymentStatus]) -> DeploymentStatus | None:
    """The latest status that is not ``inactive`` (GitHub lists them newest first)."""
    dated = sorted(
        (status for status in statuses if status.state != "inactive"),
        key=lambda status: (status.created_at or datetime.min.replace(tzinfo=UTC), status.id),
    )
    return dated[-1] if dated else None


def deployment_events(
    api: GitHubApi,
    inputs: ActionInputs,
    run: RunContext,
    components: list[str],
    window: tuple[datetime, Deadline],
    skipped: Counter[str],
    seen: dict[int, list[DeploymentStatus]],
) -> list[BuiltEvent]:
    """Every component's event for each GitHub deployment of the window that no job reported
    (``seen``: statuses already read, by deployment id)."""
    assert run.repository is not None
    since, deadline = window
    environments = inputs.filter_list("environments")
    events: list[BuiltEvent] = []
    for deployment in api.deployments_since(run.repository, since, deadline):
        if environments and deployment.environment not in environments:
            skipped["GitHub deployment to an environment not in environments"] += 1
            continue
        statuses = seen.get(deployment.id)
        if statuses is None:
            statuses = api.statuses(run.repository, deployment.id, deadline)
        if _of_a_job(statuses):
            continue  # reconciled with its job's key
        status = last_status(statuses)
        if status is None or not deployment.environment:
            skipped["GitHub deployment without a status or an environment"] += 1
            continue
        if deployment_status_state(status.state.lower()) is None:
            skipped[f"GitHub deployment status {status.state[:40]!r}, which is not reported"] += 1
            continue
        context = _context(run, deployment, status)
        reported_at = _at(status.created_at)
        label = f"GitHub deployment {deployment.id} to {deployment.environment}"
        for component in components:
            try:
                event = build_event(
                    _inputs(inputs, component, run, deployment, status),
                    context,
                    reported_at,
                    UpdateSequence(),
                )
            except InputProblems as exc:
                problem = exc.problems[0]
                skipped[
                    f"GitHub deployment Compass cannot take ({problem.input}: {problem.message})"
                ] += 1
                continue
            events.append(replace(event, label=label))
    return events


def _at(moment: datetime | None) -> Callable[[], datetime]:
    return lambda: moment or datetime.now(UTC)


def _context(run: RunContext, deployment: Deployment, status: DeploymentStatus) -> RunContext:
    """The run context of a ``deployment_status`` run for this status, as far as the keys need."""
    context = RunContext.model_validate(
        {
            "server_url": run.server_url,
            "repository": run.repository,
            "repository_id": run.repository_id,
            "event_name": "deployment_status",
            "sha": deployment.sha,
            "ref": deployment.ref,
        }
    )
    event: dict[str, Any] = {}
    context.__dict__["event"] = event
    context.__dict__["github_deployment"] = payload.GitHubDeployment(
        id=deployment.id,
        environment=status.environment or deployment.environment,
        ref=deployment.ref,
        sha=deployment.sha,
        created_at=deployment.created_at,
        production_environment=deployment.production_environment,
        status=payload.DeploymentStatus(
            id=status.id,
            state=status.state.lower(),
            created_at=status.created_at,
            log_url=status.log_url or None,
            target_url=status.target_url or None,
            environment_url=status.environment_url or None,
            description=status.description or None,
        ),
    )
    return context


def _inputs(
    inputs: ActionInputs,
    component: str,
    run: RunContext,
    deployment: Deployment,
    status: DeploymentStatus,
) -> ActionInputs:
    # Without a link of its own, the deployment links to its environment's deployments page.
    link = None
    if not (status.log_url or status.target_url) and run.repository_url:
        link = f"{run.repository_url}/deployments/{quote(deployment.environment or '', safe='')}"
    return inputs.model_copy(
        update={
            "component_id": component,
            "event_type": EventType.DEPLOYMENT,
            "state": None,  # the status's
            "environment": None,  # the deployment's
            "environment_id": None,
            "check_run_id": None,
            "started_at": None,
            "pipeline_id": None,
            "sequence_number": None,
            "update_sequence_number": None,
            "url": link,
            "display_name": None,
            "description": None,
        }
    )
