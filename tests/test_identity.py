"""The keys Compass tells events apart by."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from compass_action import text
from compass_action.events import identity
from compass_action.events.contract import MAX_SAFE_INTEGER
from compass_action.github.payload import deployment_of
from compass_action.github.run_context import RunContext
from compass_action.problems import InputProblems, Problem

from .webhooks import payload


def ctx(event: dict[str, Any] | None = None, **values: object) -> RunContext:
    base: dict[str, object] = {
        "repository": "acme/shop",
        "repository_id": "123",
        "run_id": 19_500_000_001,
        "run_attempt": 1,
        "job": "deploy",
        "workflow": "Deploy",
    }
    run = RunContext.model_validate(base | values)
    run.__dict__["event"] = event or {}  # the payload, as if read from GITHUB_EVENT_PATH
    return run


_COMPONENT = (
    "ari:cloud:compass:83673fa7-fd28-4f4a-9738-f584064570a7:"
    "component/db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)
_OTHER = _COMPONENT.rsplit("/", 1)[0] + "/2f586125-bbbb-cccc-dddd-0123456789ab"


def test_the_event_source_is_one_per_repository_and_component() -> None:
    runs = [ctx(), ctx(run_id=20_000_000_000, run_attempt=3), ctx(job="build", workflow="CI")]
    assert len({identity.external_event_source_id(run, _COMPONENT) for run in runs}) == 1
    assert identity.external_event_source_id(
        ctx(), _COMPONENT
    ) != identity.external_event_source_id(ctx(repository_id="124"), _COMPONENT)
    # Two components of one repository (a monorepo) never share a source.
    assert identity.external_event_source_id(
        ctx(), _COMPONENT
    ) != identity.external_event_source_id(ctx(), _OTHER)


def test_the_event_source_survives_a_rename_and_falls_back_to_the_name() -> None:
    assert identity.external_event_source_id(
        ctx(repository="acme/renamed"), _COMPONENT
    ) == identity.external_event_source_id(ctx(), _COMPONENT)
    assert (
        identity.external_event_source_id(ctx(repository_id=None), _COMPONENT)
        == "github.com:repository:acme/shop:component:1e475014-aaaa-bbbb-cccc-0123456789ab"
    )


@pytest.mark.parametrize("deployment", [False, True])
def test_pipeline_id_is_the_same_within_a_job_attempt_and_new_otherwise(deployment: bool) -> None:
    def pipeline(run: RunContext, check_run_id: int) -> str | None:
        return identity.pipeline_id(run, check_run_id, deployment=deployment)

    same = pipeline(ctx(), 7), pipeline(ctx(), 7)
    assert same[0] == same[1]
    others = {
        pipeline(ctx(run_attempt=2), 8),
        pipeline(ctx(run_id=19_500_000_002), 9),
        pipeline(ctx(job="other"), 10),
        pipeline(ctx(), 11),  # another matrix leg of the same job
        same[0],
    }
    assert len(others) == 5


def test_pipeline_id_needs_the_run() -> None:
    assert identity.pipeline_id(ctx(run_id=None), None, deployment=False) is None
    assert identity.pipeline_id(ctx(job=None), None, deployment=True) is None


RELEASE_ACTIONS = [
    "release/created.payload.json",
    "release/published.payload.json",
    "release/released.json",
]


def test_the_runs_of_one_release_share_the_deployment_keys() -> None:
    runs = [
        ctx(payload(name), event_name="release", run_id=19_500_000_001 + index)
        for index, name in enumerate(RELEASE_ACTIONS)
    ]
    keys = {
        (identity.pipeline_id(run, 1000 + index, deployment=True), identity.sequence_number(run))
        for index, run in enumerate(runs)
    }
    assert keys == {("acme/shop/releases/17372790/attempts/1", 17_372_790_001)}


def test_a_release_rerun_is_a_new_later_deployment() -> None:
    first = ctx(payload(RELEASE_ACTIONS[1]), event_name="release")
    rerun = ctx(payload(RELEASE_ACTIONS[1]), event_name="release", run_attempt=2)
    assert identity.pipeline_id(first, None, deployment=True) != identity.pipeline_id(
        rerun, None, deployment=True
    )
    assert (identity.sequence_number(first) or 0) < (identity.sequence_number(rerun) or 0)


def test_a_release_build_is_still_one_per_job_attempt() -> None:
    run = ctx(payload(RELEASE_ACTIONS[1]), event_name="release")
    assert identity.pipeline_id(run, 7, deployment=False) == (
        "acme/shop/runs/19500000001/attempts/1/jobs/7"
    )


def test_every_status_of_a_github_deployment_shares_its_keys() -> None:
    keys = set()
    for run_id, (name, event_name) in enumerate(
        [
            ("deployment/payload.json", "deployment"),
            ("deployment_status/payload.json", "deployment_status"),
        ]
    ):
        run = ctx(payload(name), event_name=event_name, run_id=19_500_000_001 + run_id)
        keys.add(
            (identity.pipeline_id(run, run_id, deployment=True), identity.sequence_number(run))
        )
    assert keys == {("acme/shop/deployments/145988746", 145988746)}


def status(state: str, at: str) -> dict[str, Any]:
    event = payload("deployment_status/payload.json")
    event["deployment_status"] |= {"state": state, "created_at": at, "updated_at": at}
    return event


def status_sequence(state: str, at: str) -> int:
    deployment = deployment_of("deployment_status", status(state, at))
    assert deployment is not None and deployment.status is not None
    number = identity.status_update_sequence(deployment.status)
    assert number is not None
    return number


def test_status_update_numbers_follow_time_then_the_lifecycle() -> None:
    same_second = "2019-05-15T15:20:55Z"
    lifecycle = ["queued", "pending", "in_progress", "success"]
    numbers = [status_sequence(state, same_second) for state in lifecycle]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    later = "2019-05-15T15:20:56Z"
    assert status_sequence("failure", later) > status_sequence("success", same_second)
    # A final status is in the band of final states (identity.FINAL_BAND), as a live step's
    # final send is: above every status that is not final, whatever its time.
    assert status_sequence("queued", later) < status_sequence("failure", same_second)
    # On the clock's scale (microseconds since 1970), so steps and statuses interleave by time.
    assert numbers[0] // 1_000_000 == int(datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC).timestamp())
    assert (numbers[-1] - identity.FINAL_BAND) // 1_000_000 == numbers[0] // 1_000_000


def test_sequence_numbers_grow_with_attempts_and_runs() -> None:
    order = [
        ctx(run_attempt=1),
        ctx(run_attempt=2),
        ctx(run_attempt=999),
        ctx(run_id=19_500_000_002),
    ]
    numbers = [identity.sequence_number(run) or 0 for run in order]
    assert all(numbers)
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_sequence_numbers_stay_below_2_to_the_53() -> None:
    assert identity.sequence_number(ctx(run_attempt=1000)) is None
    assert identity.sequence_number(ctx(run_id=MAX_SAFE_INTEGER // 1000 + 1)) is None
    biggest = identity.sequence_number(ctx(run_id=MAX_SAFE_INTEGER // 1000 - 1, run_attempt=999))
    assert biggest is not None and biggest <= MAX_SAFE_INTEGER


def test_update_sequence_numbers_increase_within_one_millisecond() -> None:
    frozen = 1_795_000_000_000_000_000
    sequence = identity.UpdateSequence(clock_ns=lambda: frozen)
    values = [sequence.next() for _ in range(1000)]
    assert all(b > a for a, b in itertools.pairwise(values))
    assert values[-1] < MAX_SAFE_INTEGER


def test_update_sequence_numbers_increase_when_the_clock_steps_back() -> None:
    times = iter([2_000_000_000_000, 1_000_000_000_000, 3_000_000_000_000])
    sequence = identity.UpdateSequence(clock_ns=lambda: next(times))
    first, second, third = sequence.next(), sequence.next(), sequence.next()
    assert first < second < third
    assert third == 3_000_000_000


def test_update_sequence_numbers_from_separate_processes_follow_the_clock() -> None:
    earlier = identity.UpdateSequence(clock_ns=lambda: 1_795_000_000_000_000_000).next()
    later = identity.UpdateSequence(clock_ns=lambda: 1_795_000_000_000_001_000).next()
    assert later > earlier


def test_timestamps_are_rfc3339_utc() -> None:
    moment = datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert text.rfc3339(moment) == "2026-03-01T12:30:05.123Z"
    assert text.rfc3339(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"


def test_update_sequence_numbers_exceed_what_an_earlier_step_sent() -> None:
    sequence = identity.UpdateSequence(clock_ns=lambda: 1_000_000_000_000_000_000)
    assert sequence.next(after=5_000_000_000_000_000) == 5_000_000_000_000_001
    assert sequence.next() == 5_000_000_000_000_002


def test_no_update_sequence_number_is_left_after_the_largest_safe_one() -> None:
    # An earlier step gave update-sequence-number 2^53 - 1; a default step cannot follow it.
    sequence = identity.UpdateSequence(clock_ns=lambda: 1_795_000_000_000_000_000)
    assert sequence.next(after=MAX_SAFE_INTEGER - 1) == MAX_SAFE_INTEGER
    with pytest.raises(InputProblems) as caught:
        identity.UpdateSequence().next(after=MAX_SAFE_INTEGER)
    assert caught.value.problems == [
        Problem(
            "update-sequence-number",
            "an earlier send of this event in this job used 9007199254740991; no larger number "
            "is left below 2^53 (at most 9007199254740991) for this send. Give the earlier step "
            "a smaller update-sequence-number, or leave it empty there and here",
        )
    ]


@pytest.mark.parametrize(
    ("written", "parsed"),
    [
        ("2026-11-22T11:53:00.123Z", datetime(2026, 11, 22, 11, 53, 0, 123000, tzinfo=UTC)),
        ("1970-01-01T00:00:00.000Z", text.EARLIEST),
        ("1969-12-31T23:59:59.999Z", None),
        ("2026-11-22T11:53:00Z", None),
        ("2026-11-22T11:53:00.123+00:00", None),
        ("2026-13-01T00:00:00.000Z", None),
        ("2026-11-22T11:53:00.123Z\n", None),
    ],
)
def test_only_times_as_we_write_them_are_read_back(written: str, parsed: datetime | None) -> None:
    assert text.parse_rfc3339(written) == parsed


def test_the_job_in_a_pipeline_id_is_its_check_run_id_which_the_api_returns() -> None:
    # The jobs API answers with the job's id, which is the check run id; never the YAML key.
    assert identity.pipeline_id(ctx(), 51_725_241_954, deployment=False) == (
        "acme/shop/runs/19500000001/attempts/1/jobs/51725241954"
    )
    # Matrix legs share the YAML key but not the check run id.
    legs = {identity.pipeline_id(ctx(), leg, deployment=False) for leg in (1, 2)}
    assert len(legs) == 2


def test_without_a_check_run_id_the_job_falls_back_to_its_yaml_key() -> None:
    assert identity.pipeline_id(ctx(), None, deployment=False) == (
        "acme/shop/runs/19500000001/attempts/1/jobs/deploy"
    )
    assert identity.pipeline_id(ctx(job=None), None, deployment=False) is None


def test_a_final_state_outranks_any_state_that_is_not_and_keeps_the_order_of_finals() -> None:
    started, live_progress, live_final = 1_000, 2_000, 9_000  # seconds: the job's start, then sends
    reconciled = identity.UpdateSequence(lambda: started * 10**9).next(final=True)
    in_progress = identity.UpdateSequence(lambda: live_progress * 10**9).next()
    final = identity.UpdateSequence(lambda: live_final * 10**9).next(final=True)
    # A reconciled final state (numbered from the job's start) fills in a live IN_PROGRESS,
    # and never outranks the live final state.
    assert in_progress < reconciled < final
    assert final <= MAX_SAFE_INTEGER
