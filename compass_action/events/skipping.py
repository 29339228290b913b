"""Runs that must send nothing, because what triggered them is no deployment or build to count.

Each rule here keeps a phantom out of Compass's metrics: a deleted tag is no release, an edited
release no second deployment. A skipped run says why in a notice and ends successfully, with
outputs that say nothing was sent.
"""

from __future__ import annotations

from ..github.payload import mirrored_status, ref_deleted
from ..github.run_context import PRE_MERGE_EVENTS, RunContext
from .branches import left_out
from .contract import EventType
from .states import deployment_status_state

# The release actions that mean "this release is out": one release fires several of them
# (published and released, or published and prereleased; created when it was never a draft), and
# they all report the same deployment. The others change or withdraw a release.
DEPLOYING_RELEASE_ACTIONS = frozenset({"created", "published", "released", "prereleased"})


def reason_to_skip(
    event_type: EventType,
    run: RunContext,
    *,
    state_given: bool,
    report_pull_requests: bool,
    incident_label: str = "incident",
    build_branches: list[str] | None = None,
) -> str | None:
    """Why this run sends nothing, or None when it reports its event."""
    for rule in (_deleted_ref, _release_action):
        reason = rule(run)
        if reason is not None:
            return reason
    if event_type is EventType.PUSH and run.event_name == "push" and run.is_tag:
        return f"this push is of the tag {run.tag}, which pushes no commit to a branch"
    if event_type is EventType.INCIDENT:
        return _not_an_incident(run, incident_label)
    reason = _status_not_reported(run, event_type is EventType.DEPLOYMENT, state_given)
    if reason is not None:
        return reason
    if event_type is EventType.BUILD and run.event_name in PRE_MERGE_EVENTS:
        return None if report_pull_requests else _pre_merge_build(run)
    if event_type is EventType.BUILD and build_branches is not None:
        name = run.tag if run.is_tag else run.branch
        return left_out(name, run.is_tag, run.default_branch, build_branches or [])
    return None


def _not_an_incident(run: RunContext, label: str) -> str | None:
    from .incident import issue_incident_state  # the incident kind's module, for its runs only

    issue = run.issue
    if issue is None or issue_incident_state(issue, label) is not None:
        return None
    return f"issue #{issue.number} does not carry the label {label!r} (incident-label)"


def _deleted_ref(run: RunContext) -> str | None:
    if run.event_name == "delete":
        return "a delete event removes a branch or tag; nothing was built or deployed"
    if run.event_name == "push" and ref_deleted(run.event):
        return f"this push deleted {run.ref or 'its ref'}; nothing was built or deployed"
    return None


def _release_action(run: RunContext) -> str | None:
    release = run.release
    if release is None:
        return None
    if release.draft:
        return f"release {release.tag} is a draft; it is reported once it is published"
    if release.action not in DEPLOYING_RELEASE_ACTIONS:
        return (
            f"the release {release.tag} was {release.action or 'changed'}, which is no new "
            "deployment; only created, published, released and prereleased runs report one "
            "(use `on: release: types: [published]` to run once per release)"
        )
    return None


def _status_not_reported(
    run: RunContext, reports_deployment: bool, state_given: bool
) -> str | None:
    status = mirrored_status(
        run.github_deployment, reports_deployment=reports_deployment, state_given=state_given
    )
    if status is None or deployment_status_state(status.state) is not None:
        return None
    if status.state == "inactive":
        return (
            "GitHub marked this deployment inactive because a later one replaced it; its "
            "outcome stays as reported"
        )
    return f"the GitHub deployment status {status.state!r} is not one this action reports"


def _pre_merge_build(run: RunContext) -> str | None:
    if run.event_name not in PRE_MERGE_EVENTS:
        return None
    return (
        f"builds of {run.ref_label or run.event_name} runs are not reported by default, so that "
        "Compass's build success rate counts builds of merged code, as Compass's own GitHub app "
        "does; set report-pull-requests: true to report them"
    )
