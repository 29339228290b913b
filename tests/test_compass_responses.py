"""Reading a Compass answer: hostile bodies are described, never crashed on, in bounded time."""

from __future__ import annotations

import json

import pytest

from compass_action.clients.compass_answers import Verdict, read_answer, unread_answer


def test_compass_errors_are_read() -> None:
    body = json.dumps({"errors": [{"type": "INVALID_INPUT", "message": "environment is wrong"}]})
    answer = read_answer(400, "application/json", body.encode())
    assert answer.body_note == "INVALID_INPUT: environment is wrong"
    assert answer.verdict is Verdict.GIVE_UP


@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_deeply_nested_json_is_not_json_to_us(depth: int) -> None:
    body = ('{"errors":' + "[" * depth + "]" * depth + "}").encode()
    answer = read_answer(500, "application/json", body)
    assert answer.errors == ()
    assert answer.body_note.startswith('a body that is not JSON: \'{"errors":[[[')
    assert answer.verdict is Verdict.RETRY


def test_the_title_of_an_html_page_is_found() -> None:
    page = b"<!DOCTYPE html><html><head><TITLE lang=en>Bad\n gateway</TITLE></head></html>"
    note = read_answer(502, "text/html", page).body_note
    assert note == f"an HTML page titled 'Bad gateway' ({len(page)} bytes), not a Compass answer"


def test_a_title_past_the_first_4_kb_is_not_looked_for() -> None:
    page = b"<html><head>" + b" " * 5000 + b"<title>late</title></head></html>"
    note = read_answer(502, "text/html", page).body_note
    assert note == f"an HTML page ({len(page)} bytes), not a Compass answer"


def test_a_hostile_html_page_is_read_without_a_quadratic_search() -> None:
    # "<title>" over and over without a closing tag made the old regular expression quadratic
    # (96 s for a 350 KB page; this one would take minutes). The scan reads the first 4 KB once,
    # as the test above shows; here the page is simply described.
    page = b"<html><title>" + b"<title>" * 50_000
    note = read_answer(500, "text/html", page).body_note
    assert note == f"an HTML page ({len(page)} bytes), not a Compass answer"


def test_an_unread_body_keeps_the_status_verdict() -> None:
    assert unread_answer(202, "too large").verdict is Verdict.ACCEPTED
    answer = unread_answer(503, "a body larger than 64 KiB, not read further")
    assert answer.verdict is Verdict.RETRY and answer.errors == ()
    assert answer.body_note == "a body larger than 64 KiB, not read further"
