"""The site input: plain http only where the address is certainly loopback, ports checked."""

from __future__ import annotations

import pytest

from compass_action.inputs import events_url_for_site, load_inputs
from compass_action.problems import InputProblems

from .conftest import COMPONENT, EMAIL, TOKEN

EVENTS = "/gateway/api/compass/v1/events"


@pytest.mark.parametrize(
    ("site", "url"),
    [
        # localhost is pinned to 127.0.0.1: no resolver (or /etc/hosts) is asked.
        ("http://localhost", f"http://127.0.0.1{EVENTS}"),
        ("http://LocalHost:8080/", f"http://127.0.0.1:8080{EVENTS}"),
        ("http://127.8.9.10:1", f"http://127.8.9.10:1{EVENTS}"),
        ("http://[::1]:65535", f"http://[::1]:65535{EVENTS}"),
        ("https://acme.atlassian.net:443", f"https://acme.atlassian.net:443{EVENTS}"),
        ("acme.atlassian.net:8443", f"https://acme.atlassian.net:8443{EVENTS}"),
    ],
)
def test_loopback_and_ports_that_are_accepted(site: str, url: str) -> None:
    assert events_url_for_site(site) == url


@pytest.mark.parametrize(
    "site",
    [
        "http://foo.localhost:8080",  # a name: it would be resolved through DNS
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8080",
        "http://[::ffff:10.0.0.1]",
        "http://192.168.1.10",
    ],
)
def test_plain_http_to_anything_but_a_loopback_address_is_refused(site: str) -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        events_url_for_site(site)


@pytest.mark.parametrize(
    ("site", "port"),
    [
        ("http://127.0.0.1:65536", "65536"),
        ("http://127.0.0.1:99999", "99999"),
        ("https://acme.atlassian.net:4294967739", "4294967739"),  # 2**32 + 443
        ("http://127.0.0.1:0", "0"),
        ("https://acme.atlassian.net:https", "https"),
        ("https://acme.atlassian.net:-1", "-1"),
        ("http://[::1]:٨٠", "٨٠"),  # Arabic-Indic digits, which int() would take
    ],
)
def test_a_port_out_of_range_or_not_a_number_is_refused(site: str, port: str) -> None:
    with pytest.raises(ValueError, match="port must be a number from 1 to 65535") as caught:
        events_url_for_site(site)
    assert repr(port) in str(caught.value)


@pytest.mark.parametrize("site", ["http://[::1", "https://[acme]", "https://:443"])
def test_a_broken_url_is_refused_plainly(site: str) -> None:
    with pytest.raises(ValueError, match="is not a site name, a host name or an https:// URL"):
        events_url_for_site(site)


def test_a_bad_port_is_an_input_problem_naming_site(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "COMPASS_SITE": "http://127.0.0.1:70000",
        "COMPASS_USER_EMAIL": EMAIL,
        "COMPASS_API_TOKEN": TOKEN,
        "COMPASS_COMPONENT_ID": COMPONENT,
        "COMPASS_STATE": "success",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InputProblems) as caught:
        load_inputs()
    [problem] = caught.value.problems
    assert problem.input == "site"
    assert problem.message == "the port must be a number from 1 to 65535, not '70000'"
