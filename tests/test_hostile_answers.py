"""Hostile answers from GitHub and odd values anywhere (issue 20): every answer bounded, one bad
item skipped with a notice naming it, the good ones kept.

The GitHub stand-in (tools/github_standin.py) plays the answers: pages larger than any GitHub
serves, pages of millions of tiny values, more items than ``per_page`` asked for, ``Link: next``
chains without end, items with times outside 1970-9999, lone surrogates, ids of 5,000 digits.
Memory and time of the same answers: tools/bench_hostile.py (docs/hostile-input.md).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from compass_action.clients import http
from compass_action.clients.github_api import PAGE_LIMIT, GitHubApi
from compass_action.clients.http import Clock, HttpClient, certificate_error
from compass_action.github.run_context import RunContext
from compass_action.github_alerts import alert_events
from compass_action.inputs import ActionInputs
from compass_action.limits import Deadline
from compass_action.observe import deployed_jobs, triggering_run
from compass_action.problems import InputProblems
from compass_action.text import parse_time, rfc3339
from tools.action_runner import Run, SkippedWaits
from tools.compass_standin import Standin
from tools.github_standin import (
    GitHubStandin,
    Played,
    code_scanning_alert,
    dependabot_alert,
    deployment,
    deployment_status,
    endless_pages,
    job,
    oversized_page,
    raw_items,
    release,
    set_alerts,
    tiny_values_page,
    workflow_run,
)
from tools.standin_graphql import Failure

from .conftest import CLOUD_ID, COMPONENT, credentials
from .inprocess import InProcess
from .webhooks import payload, run_for

GITHUB_TOKEN = "ghs_H0st1leAnswer5Token000000000000000000"
REPO = "acme/shop"
RUN = 19_600_000_123
JOBS_PATH = f"/repos/{REPO}/actions/runs/{RUN}/attempts/1/jobs"
SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"
LONG_DIGITS = "9" * 5000  # past Python's 4,300-digit limit for int()
TOO_EARLY = "0001-01-01T00:00:00+01:00"  # the year 0 in UTC
TOO_LATE = "9999-12-31T23:59:59-10:00"  # the year 10000 in UTC


@pytest.fixture
def waits() -> SkippedWaits:
    return SkippedWaits()


@pytest.fixture
def github(waits: SkippedWaits) -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN, wall=lambda: waits.wall().timestamp()) as standin:
        yield standin


class Said:
    """What the client said: notices (an item skipped) and warnings (a list cut)."""

    def __init__(self) -> None:
        self.notices: list[str] = []
        self.warnings: list[str] = []


def client(github: GitHubStandin, waits: SkippedWaits, said: Said) -> GitHubApi:
    return GitHubApi(
        github.url,
        GITHUB_TOKEN,
        waits.clock(),
        notice=said.notices.append,
        warn=said.warnings.append,
    )


def deadline(waits: SkippedWaits) -> Deadline:
    return Deadline(300.0, waits.monotonic)


def good_job(number: int, name: str = "test") -> dict[str, Any]:
    return job(REPO, RUN, 51_725_241_000 + number, name, head_sha=SHA)


def pages_then(first: list[dict[str, Any]], then: Callable[..., Played]) -> Callable[..., Played]:
    """A good first page naming a next one, then whatever ``then`` plays."""

    def player(query: dict[str, str], url: str) -> Played:
        if query.get("page", "1") == "1":
            body = json.dumps({"total_count": 1, "jobs": first}).encode()
            return Played(body, {"Link": f'<{url}?per_page=100&page=2>; rel="next"'})
        return then(query, url)

    return player


# -- the size of an answer ------------------------------------------------------------------------


def test_a_page_larger_than_any_github_serves_cuts_the_list_there(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    huge = oversized_page(2 * PAGE_LIMIT, good_job(9), "jobs")
    github.play(JOBS_PATH, pages_then([good_job(1)], huge))
    said = Said()
    with client(github, waits, said) as api:
        jobs = api.jobs(REPO, RUN, 1, deadline(waits))
    assert [item.id for item in jobs] == [51_725_241_001]  # the good page is kept
    assert said.warnings == [
        f"GitHub's page 2 of jobs of run {RUN} attempt 1 is larger than 4 MiB; the list is cut "
        "there: page 2 and the pages after it are left out"
    ]


def test_a_page_of_millions_of_tiny_values_is_not_parsed(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.play(JOBS_PATH, tiny_values_page(PAGE_LIMIT - 1024, "jobs"))
    said = Said()
    with client(github, waits, said) as api:
        assert api.jobs(REPO, RUN, 1, deadline(waits)) == []
    assert said.warnings == [
        f"GitHub's page 1 of jobs of run {RUN} attempt 1 holds more than 300,000 values; the "
        "list is cut there: page 1 and the pages after it are left out"
    ]


def test_more_items_than_a_page_asked_for_are_cut_to_the_page(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    items = [json.dumps(good_job(number)) for number in range(250)]
    github.play(JOBS_PATH, raw_items(items, "jobs"))
    said = Said()
    with client(github, waits, said) as api:
        jobs = api.jobs(REPO, RUN, 1, deadline(waits))
    assert len(jobs) == 100
    assert said.warnings == [
        f"GitHub's page 1 of jobs of run {RUN} attempt 1 holds 250 items, more than the 100 "
        "asked for; the first 100 of it (and of any later page like it) are read, the rest is "
        "left out"
    ]


def test_a_next_link_without_end_is_followed_for_50_pages_at_most(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.play(f"/repos/{REPO}/releases", endless_pages([release(REPO, 7, "v1.0.0")]))
    said = Said()
    with client(github, waits, said) as api:
        releases = api.releases(REPO, deadline(waits))
    assert len(releases) == 50 and len(github.requests) == 50
    assert said.warnings == [
        "GitHub lists more than 50 pages of releases; the first 50 (5000 items at most) are "
        "read, the rest is left out"
    ]


def test_the_jobs_of_one_attempt_are_read_for_10_pages_at_most(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.play(JOBS_PATH, endless_pages([good_job(1)], "jobs"))
    said = Said()
    with client(github, waits, said) as api:
        jobs = api.jobs(REPO, RUN, 1, deadline(waits))
    assert len(jobs) == 10 and len(github.requests) == 10
    assert said.warnings == [
        f"GitHub lists more than 10 pages of jobs of run {RUN} attempt 1; the first 10 (1000 "
        "items at most) are read, the rest is left out"
    ]


# -- one bad item ---------------------------------------------------------------------------------


def test_each_bad_item_is_skipped_with_a_notice_naming_it(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    surrogate = good_job(2, "build \ud800")
    early, late = good_job(3) | {"started_at": TOO_EARLY}, good_job(4) | {"completed_at": TOO_LATE}
    nameless = good_job(5) | {"name": None}
    items = [json.dumps(item) for item in (good_job(1), surrogate, early, late, nameless)]
    items.append(json.dumps(good_job(6)).replace('"id": 51725241006', f'"id": {LONG_DIGITS}'))
    github.play(JOBS_PATH, raw_items(items, "jobs"))
    said = Said()
    with client(github, waits, said) as api:
        jobs = api.jobs(REPO, RUN, 1, deadline(waits))
    # The lone surrogate is replaced where the text enters; the job is kept.
    assert [(item.id, item.name) for item in jobs] == [
        (51_725_241_001, "test"),
        (51_725_241_002, "build \ufffd"),
    ]
    of_run = f"of run {RUN} attempt 1"
    assert said.notices == [
        f"GitHub's job 51725241003 {of_run} is skipped: started_at: "
        "0001-01-01T00:00:00+01:00 is before 1970-01-01",
        f"GitHub's job 51725241004 {of_run} is skipped: completed_at: "
        "9999-12-31T23:59:59-10:00 is past the year 9999 in UTC",
        f"GitHub's job 51725241005 {of_run} is skipped: name: Input should be a valid string",
        f"GitHub's job #6 of the list {of_run} is skipped: id: Input should be a valid integer",
    ]


def test_past_10_skipped_items_the_rest_are_counted_in_one_notice(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.play(JOBS_PATH, raw_items(["{}"] * 100, "jobs"))
    said = Said()
    with client(github, waits, said) as api:
        assert api.jobs(REPO, RUN, 1, deadline(waits)) == []
    assert len(said.notices) == 11
    assert said.notices[0] == (
        f"GitHub's job #1 of the list of run {RUN} attempt 1 is skipped: id: Field required"
    )
    assert said.notices[-1] == (
        f"90 more items of GitHub's list (job of run {RUN} attempt 1) are skipped as not as "
        "documented; only the first 10 are named"
    )


def test_a_rate_limit_reset_of_5000_digits_is_waited_as_an_unknown_one(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    calls: list[str] = []

    def player(query: dict[str, str], url: str) -> Played:
        calls.append(url)
        if len(calls) == 1:
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": LONG_DIGITS}
            return Played(b'{"message": "API rate limit exceeded"}', headers, 403)
        return Played(json.dumps({"total_count": 1, "jobs": [good_job(1)]}).encode())

    github.play(JOBS_PATH, player)
    with client(github, waits, Said()) as api:
        assert len(api.jobs(REPO, RUN, 1, deadline(waits))) == 1
    assert waits.slept == [60.0]  # GitHub's "at least a minute" for a limit without a time


def test_a_job_id_of_5000_digits_in_a_log_url_links_no_job(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    run = workflow_run(REPO, RUN, head_sha=SHA)
    github.add_run(REPO, run, [good_job(1)])
    for number, tail in ((1, LONG_DIGITS), (2, "51725241001")):
        log = f"https://github.com/{REPO}/actions/runs/{RUN}/job/{tail}"
        github.add_deployment(
            REPO,
            deployment(REPO, number, f"env{number}", sha=SHA),
            [deployment_status(REPO, number, 1, "success", log_url=log)],
        )
    with client(github, waits, Said()) as api:
        jobs = api.jobs(REPO, RUN, 1, deadline(waits))
        triggering = api.workflow_run(REPO, RUN, deadline(waits))
        assert deployed_jobs(api, REPO, triggering, jobs, deadline(waits)) == {
            51_725_241_001: "env2"
        }


# -- alerts ---------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_one_alert_out_of_range_is_skipped_and_the_others_of_both_sources_sent(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    ahead = NOW.timestamp() + 20  # created 20 s ahead of the runner's clock
    scanning = [
        code_scanning_alert(REPO, 1),
        code_scanning_alert(REPO, 2, created=ahead),
        code_scanning_alert(REPO, 3) | {"updated_at": TOO_LATE},
        code_scanning_alert(REPO, 4) | {"state": None},  # GitHub's description allows null
        code_scanning_alert(REPO, 5) | {"state": "quarantined"},
    ]
    dependabot = [
        dependabot_alert(REPO, 1),
        dependabot_alert(REPO, 2) | {"created_at": "1969-12-31T23:59:59Z"},
        dependabot_alert(REPO, 3) | {"updated_at": "9999-06-01T00:00:00Z"},
    ]
    set_alerts(github, REPO, "code-scanning", scanning)
    set_alerts(github, REPO, "dependabot", dependabot)
    run = RunContext.model_validate({"repository": REPO, "repository_id": "123", "run_id": 1})
    run.__dict__["event"] = {}
    inputs = ActionInputs.model_validate({"site": "acme", "component_id": COMPONENT})
    said = Said()
    with client(github, waits, said) as api:
        events = alert_events(
            api,
            inputs,
            run,
            ["code-scanning", "dependabot"],
            [COMPONENT],
            deadline(waits),
            said.notices.append,
            now=lambda: NOW,
        )
    assert [event.label for event in events] == ["code-scanning alert 1", "dependabot alert 1"]
    notices = "\n".join(said.notices)
    for name in ("code-scanning alert 2", "code-scanning alert 3", "code-scanning alert 4"):
        assert name in notices
    assert "code-scanning alert 5 is skipped: its state 'quarantined' is none of" in notices
    assert "dependabot alert 2 is skipped: created_at: 1969-12-31T23:59:59+00:00 is before" in (
        notices
    )
    assert "dependabot alert 3 is skipped: its last change (9999-06-01T00:00:00.000Z)" in notices
    assert len(said.notices) == 6, notices


# -- the event payload ----------------------------------------------------------------------------


def issue_run(**issue: Any) -> Run:
    name = "issues/opened.payload.json"
    event = payload(name)
    event["issue"] |= {"labels": [{"name": "incident"}]} | issue
    return run_for(name, event)


def test_a_lone_surrogate_in_an_issue_title_is_replaced_and_the_event_sent(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    run = issue_run(title="Checkout \ud800 is down")
    result = in_process(run, credentials(standin) | {"event-type": "incident"}, workdir)
    assert result.exit_code == 0, result.stdout
    [incident] = standin.events()
    assert incident["displayName"] == "Incident: Checkout \ufffd is down"


@pytest.mark.parametrize("moment", [TOO_EARLY, TOO_LATE])
def test_a_payload_time_out_of_range_is_an_input_problem_naming_the_field(
    standin: Standin, in_process: InProcess, workdir: Path, moment: str
) -> None:
    result = in_process(
        issue_run(created_at=moment), credentials(standin) | {"event-type": "incident"}, workdir
    )
    assert result.exit_code == 1 and standin.bodies() == []
    assert f"title=Input GITHUB_EVENT_PATH::issue.created_at: {moment}" in result.stdout
    assert "failed unexpectedly" not in result.stdout + result.stderr


# -- times ----------------------------------------------------------------------------------------


def test_every_time_is_written_with_four_digits_of_year() -> None:
    assert rfc3339(datetime(1, 1, 1, 0, 10, tzinfo=UTC)) == "0001-01-01T00:10:00.000Z"
    assert rfc3339(datetime(999, 12, 31, tzinfo=UTC)) == "0999-12-31T00:00:00.000Z"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (TOO_EARLY, "0001-01-01T00:00:00+01:00 is before 1970-01-01"),
        (TOO_LATE, "9999-12-31T23:59:59-10:00 is past the year 9999 in UTC"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59+00:00 is before 1970-01-01"),
        ("2026-01-31T12:00:00", "2026-01-31T12:00:00 has no time zone"),
        ("9" * 100, "a text of 100 characters is not a time"),
    ],
)
def test_a_time_out_of_range_is_refused_where_it_is_parsed(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(said)}$"):
        parse_time(text)


def test_the_last_moment_of_9999_in_utc_is_a_time() -> None:
    assert parse_time("9999-12-31T23:59:59Z").year == 9999


# -- the slug lookup's answer ---------------------------------------------------------------------

OTHER_CLOUD_ARI = (
    "ari:cloud:compass:0b2c3d4e-aaaa-bbbb-cccc-0123456789ab:component/"
    "11111111-2222-3333-4444-555555555555/66666666-7777-8888-9999-000000000000"
)


def slug_answer(component_id: object) -> str:
    item = {
        "__typename": "CompassComponent",
        "id": component_id,
        "name": "Shop API",
        "type": "SERVICE",
        "slug": "shop-api",
    }
    return json.dumps({"data": {"compass": {"componentsByReferences": [item]}}})


@pytest.mark.parametrize(
    ("component_id", "said"),
    [
        ("", "Compass answered the slug 'shop-api' with no id, which is not a component ARI"),
        (None, "Compass answered the slug 'shop-api' with no id, which is not a component ARI"),
        (7, "Compass answered the slug 'shop-api' with the id '7', which is not a component ARI"),
        (
            "ari:cloud:jira::site/1",
            "Compass answered the slug 'shop-api' with the id 'ari:cloud:jira::site/1', which is "
            "not a component ARI",
        ),
        (
            OTHER_CLOUD_ARI,
            "Compass answered the slug 'shop-api' with a component of another site "
            f"({OTHER_CLOUD_ARI}, cloud ID '0b2c3d4e-aaaa-bbbb-cccc-0123456789ab', not ",
        ),
    ],
)
def test_a_slug_answered_with_no_component_ari_of_the_cloud_is_an_input_problem(
    standin: Standin, in_process: InProcess, workdir: Path, component_id: object, said: str
) -> None:
    answer = slug_answer(component_id)
    standin.state.graphql.failures.append(Failure("componentsByReferences", "http", 200, answer))
    given = credentials(standin) | {"component-id": "shop-api", "cloud-id": CLOUD_ID}
    result = in_process(Run(event_name="push", ref="refs/heads/main"), given, workdir)
    printed = result.stdout + result.stderr
    assert result.exit_code == 1, printed
    assert "title=Input component-id::" + said in printed
    assert "failed unexpectedly" not in printed
    assert standin.events() == []


# -- name look-ups ----------------------------------------------------------------------------


def test_a_name_look_up_that_never_answers_ends_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answered = threading.Event()

    def never(*_args: object, **_kwargs: object) -> list[Any]:
        answered.wait(30)  # a resolver that waits on dead name servers
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", never)
    client = HttpClient("https://compass.example", None, {}, Clock())
    try:
        with pytest.raises(httpx.ConnectTimeout, match=r"looking up compass\.example took longer"):
            client.get("https://compass.example/gateway/api/graphql", Deadline(0.3))
    finally:
        answered.set()
        client.close()


def test_a_name_is_looked_up_then_its_address_connected_to_with_the_name_as_host(
    github: GitHubStandin, waits: SkippedWaits, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def resolver(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = github.url.rsplit(":", 1)[1]
    github.play(JOBS_PATH, raw_items([json.dumps(good_job(1))], "jobs"))
    client = HttpClient(f"http://api.github.example:{port}", None, {}, waits.clock())
    try:
        answer = client.get(f"http://api.github.example:{port}{JOBS_PATH}", deadline(waits))
    finally:
        client.close()
    # The name once, on its own thread; then only the address found (numeric: no look-up).
    assert looked_up == ["api.github.example", "127.0.0.1"]
    assert answer.status == 401  # the stand-in answered: no token was given


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An https server on 127.0.0.1 whose certificate names compass.example (self-signed).

    An EC P-256 key, as test_e2e_faults.py's: made in milliseconds, where an RSA key took 0.4 s;
    which name the certificate holds is what is checked, not its kind of key.
    """
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            shutil.which("openssl") or "openssl",
            *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=compass.example"),
            *("-addext", "subjectAltName=DNS:compass.example"),
        ],
        check=True,
        capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    # A short poll keeps shutdown() quick: it waits for the next poll (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
    )
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_certificate_is_still_checked_against_the_name_looked_up(
    tls_server: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert = tls_server
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda _host, *rest, **kw: real("127.0.0.1", *rest, **kw)
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # httpx trusts it (trust_env)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    outcomes: dict[str, object] = {}
    for host in ("compass.example", "other.example"):  # the same address, two names
        client = HttpClient(f"https://{host}:{port}", None, {}, Clock())
        try:
            outcomes[host] = client.get(f"https://{host}:{port}/", Deadline(10.0)).status
        except httpx.ConnectError as exc:
            failed = certificate_error(exc)
            outcomes[host] = failed.verify_message if failed is not None else str(exc)
        finally:
            client.close()
    assert outcomes["compass.example"] == 200
    assert "Hostname mismatch" in str(outcomes["other.example"])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_one_trust_store_serves_every_https_client_while_its_variables_stay(
    tls_server: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading one takes 15 to 45 ms, and a run may open a client for Compass's events, its
    # GraphQL API and GitHub's: they share one, made as httpx makes it for verify=True.
    _, cert = tls_server
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    default = http._tls_verification("https://acme.atlassian.net")
    assert http._tls_verification("https://api.github.com") is default
    assert default.verify_mode is ssl.CERT_REQUIRED and default.check_hostname
    assert default.cert_store_stats()["x509_ca"] > 100  # certifi's bundle
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    own = http._tls_verification("https://acme.atlassian.net")
    assert own is not default and own.cert_store_stats()["x509_ca"] == 1
    # Plain http (a loopback stand-in only) loads no trust store at all.
    assert http._tls_verification("http://127.0.0.1:8080").cert_store_stats()["x509_ca"] == 0


# -- an observer run against hostile jobs ---------------------------------------------------------


def test_an_observer_sends_the_good_jobs_and_names_the_bad_ones(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with GitHubStandin(GITHUB_TOKEN) as github:
        github.add_run(REPO, workflow_run(REPO, RUN, head_sha=SHA), [])
        items = [
            json.dumps(good_job(1, "test")),
            json.dumps(good_job(2, "lint \ud800")),
            json.dumps(good_job(3) | {"started_at": TOO_EARLY}),
            json.dumps(good_job(4)).replace('"id": 51725241004', f'"id": {LONG_DIGITS}'),
        ]
        github.play(JOBS_PATH, raw_items(items, "jobs"))
        event = payload("workflow_run/completed.payload.json")
        event["workflow_run"] |= {"id": RUN, "event": "push", "head_sha": SHA, "name": "CI"}
        run = Run(event_name="workflow_run", event=event, job="report", workflow="Report")
        # Per job, so that each job GitHub listed is a build of its own, good or bad.
        given = credentials(standin) | {
            "event-type": "build",
            "build-unit": "job",
            "github-token": GITHUB_TOKEN,
        }
        result = in_process(run, given, workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    sent = json.dumps(standin.events(), ensure_ascii=False)
    assert len(standin.events()) == 2 and "lint \ufffd" in sent, sent
    assert "::notice title=GitHub's API::GitHub's job 51725241003 of run" in result.stdout
    assert "is skipped: id: Input should be a valid integer" in result.stdout
    assert "failed unexpectedly" not in result.stdout + result.stderr


def test_alerts_left_when_the_timeout_runs_out_are_counted_not_built(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    set_alerts(github, REPO, "dependabot", [dependabot_alert(REPO, n) for n in range(1, 6)])
    run = RunContext.model_validate({"repository": REPO, "repository_id": "123", "run_id": 1})
    run.__dict__["event"] = {}
    inputs = ActionInputs.model_validate({"site": "acme", "component_id": COMPONENT})
    seconds = [0.0]

    def now() -> datetime:  # each look at the clock while building takes 4 s of the budget
        seconds[0] += 4.0
        return NOW

    said = Said()
    with client(github, waits, said) as api:
        events = alert_events(
            api,
            inputs,
            run,
            ["dependabot"],
            [COMPONENT],
            Deadline(10.0, lambda: seconds[0]),
            said.notices.append,
            now=now,
        )
    assert 0 < len(events) < 5
    assert said.notices == [f"The timeout ran out: {5 - len(events)} alerts are not reported"]


def test_a_reconcile_skips_the_bad_alerts_sends_the_others_and_writes_its_summary(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    ahead = in_process.waits.wall().timestamp() + 20
    with GitHubStandin(GITHUB_TOKEN) as github:
        set_alerts(
            github,
            REPO,
            "code-scanning",
            [code_scanning_alert(REPO, 1), code_scanning_alert(REPO, 2, created=ahead)],
        )
        set_alerts(
            github,
            REPO,
            "dependabot",
            [dependabot_alert(REPO, 1) | {"state": None}, dependabot_alert(REPO, 2)],
        )
        run = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
        given = credentials(standin) | {
            "github-token": GITHUB_TOKEN,
            "reconcile": "7d",
            "vulnerabilities": "code-scanning, dependabot",
        }
        result = in_process(run, given, workdir, {"GITHUB_API_URL": github.url})

    assert result.exit_code == 0, result.stdout + result.stderr
    ids = sorted(
        event["vulnerabilityProperties"]["id"].split("/", 1)[1] for event in standin.events()
    )
    assert ids == ["code-scanning/1", "dependabot/2"]
    assert "code-scanning alert 2 is skipped: its last change" in result.stdout
    assert "GitHub's dependabot alert 1 is skipped: state: Input should be a valid string" in (
        result.stdout
    )
    assert "## Compass reconcile" in result.summary
    assert "failed unexpectedly" not in result.stdout + result.stderr


def test_a_link_header_of_16_kb_of_brackets_names_no_next_page(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    page = json.dumps({"total_count": 1, "jobs": [good_job(1)]}).encode()
    github.play(JOBS_PATH, lambda _query, _url: Played(page, {"Link": "<" * 16_000}))
    with client(github, waits, Said()) as api:
        assert len(api.jobs(REPO, RUN, 1, deadline(waits))) == 1


def test_a_verify_answer_with_an_update_number_of_5000_digits_is_unreadable_not_a_crash(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    node = '{"updateSequenceNumber": "' + LONG_DIGITS + '"}'
    body = (
        '{"data": {"compass": {"eventSource": {"__typename": "EventSource", "events": '
        '{"__typename": "CompassEventConnection", "nodes": [' + node + "]}}}}}"
    )
    standin.state.graphql.failures.append(Failure("eventSource", "http", 200, body))
    given = credentials(standin) | {"verify": "true"}
    result = in_process(Run(ref="refs/tags/v1.2.3", event_name="push"), given, workdir)

    printed = result.stdout + result.stderr
    assert result.outputs["delivered"] == "true" and result.outputs["recorded"] == "false"
    assert "updateSequenceNumber of more than 30 digits, which no Long has" in printed
    assert "failed unexpectedly" not in printed


def test_a_workflow_run_payload_time_out_of_range_is_an_input_problem_naming_it() -> None:
    run = RunContext.model_validate({"repository": REPO, "run_id": 1})
    run.__dict__["event"] = {"workflow_run": {"id": RUN, "created_at": TOO_LATE}}
    with pytest.raises(InputProblems) as caught:
        triggering_run(run)
    [problem] = caught.value.problems
    assert (problem.input, problem.message) == (
        "GITHUB_EVENT_PATH",
        "workflow_run.created_at: 9999-12-31T23:59:59-10:00 is past the year 9999 in UTC",
    )


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"updated_at": TOO_EARLY}, "updated_at"),
        ({"updated_at": None, "created_at": TOO_LATE}, "created_at"),  # the status's time
    ],
)
def test_a_deployment_status_time_out_of_range_is_an_input_problem_naming_it(
    standin: Standin, in_process: InProcess, workdir: Path, times: dict[str, Any], field: str
) -> None:
    name = "deployment_status/payload.json"
    event = payload(name)
    event["deployment_status"] |= times
    result = in_process(run_for(name, event), credentials(standin), workdir)
    printed = result.stdout + result.stderr
    assert result.exit_code == 1, printed
    said = times[field]
    assert f"title=Input GITHUB_EVENT_PATH::deployment_status.{field}: {said}" in printed
    assert "failed unexpectedly" not in printed and standin.bodies() == []
