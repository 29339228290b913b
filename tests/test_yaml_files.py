"""YAML we did not write, parsed with bounds: bombs, depth, keys twice, many and large files."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from compass_action import components
from compass_action.components import find_components
from compass_action.events.properties import parse_properties
from compass_action.limits import Deadline
from compass_action.yaml_files import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    YamlRefused,
    load_yaml,
    top_level_keys,
)
from tools.bench_hostile_files import padded_compass_yml

from .test_monorepo import API, WEB, compass_yml


def merge_bomb(levels: int = 9, width: int = 9) -> str:
    """Each level merges the one below ``width`` times: width**levels pairs once expanded."""
    lines = ["a0: &a0 {k0: v, k1: v, k2: v}"]
    for level in range(1, levels + 1):
        merged = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level}\n  <<: [{merged}]\n  k{level}: v")
    return "\n".join(lines) + "\n"


def measured(work: Callable[[], object]) -> tuple[object, float, float]:
    """What ``work`` returned or raised, its seconds and its peak of Python memory in MB."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome: object = work()
    except Exception as exc:
        outcome = exc
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return outcome, seconds, peak


def test_a_merge_key_bomb_is_refused_before_it_expands() -> None:
    bomb = merge_bomb()
    outcome, seconds, peak = measured(lambda: load_yaml(bomb))
    print(f"merge-key bomb of {len(bomb)} bytes: refused in {seconds:.4f} s, peak {peak:.2f} MB")
    assert isinstance(outcome, YamlRefused)
    assert str(outcome) == (
        f"has aliases (*name) or merge keys (<<) that expand to more than {MAX_ALIAS_NODES} values"
    )


def test_aliases_and_merge_keys_within_the_bound_are_read() -> None:
    text = "base: &base {tier: 2, type: SERVICE}\napi:\n  <<: *base\n  tier: 1\nweb: *base\n"
    assert load_yaml(text) == {
        "base": {"tier": 2, "type": "SERVICE"},
        "api": {"tier": 1, "type": "SERVICE"},
        "web": {"tier": 2, "type": "SERVICE"},
    }


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # libyaml's own composer crashes the process on this
        "".join(" " * level + "a:\n" for level in range(200)),
    ],
)
def test_deep_nesting_is_refused_before_the_composer_recurses(text: str) -> None:
    with pytest.raises(YamlRefused, match=f"nests deeper than {MAX_DEPTH} levels"):
        load_yaml(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: a\nname: x\nid: b\n", "has the key 'id' twice (lines 1 and 3)"),
        ("{score: 1, score: 2}", "has the key 'score' twice (lines 1 and 1)"),
        ("a: &a [*a]\n", "has an alias (*name) inside the value it names"),
    ],
)
def test_a_key_twice_or_a_document_inside_itself_is_refused(text: str, message: str) -> None:
    with pytest.raises(YamlRefused) as refused:
        load_yaml(text)
    assert str(refused.value) == message


def test_the_properties_input_refuses_keys_twice_and_any_alias() -> None:
    with pytest.raises(ValueError, match="has the key 'score' twice"):
        parse_properties("score: 9.8\nscore: 1.0\n")
    with pytest.raises(ValueError, match="uses a YAML alias"):
        parse_properties("a: &x 1\nb: *x\n")


def test_the_deadline_stops_a_parse() -> None:
    ticks = iter(range(10**6))
    deadline = Deadline(5, lambda: float(next(ticks)))
    text = "\n".join(f"k{n}: v" for n in range(5000))
    with pytest.raises(Exception, match="timeout of 5 s ran out"):
        load_yaml(text, deadline)


# -- the compass.yml files of a workspace ---------------------------------------------------


def write(workspace: Path, relative: str, text: str) -> None:
    path = workspace / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_bad_file_is_skipped_with_a_warning_and_the_others_are_used(tmp_path: Path) -> None:
    write(tmp_path, "api/compass.yml", compass_yml(API, "api"))
    write(tmp_path, "bomb/compass.yml", merge_bomb())
    write(tmp_path, "twice/compass.yml", f"id: '{WEB}'\nname: web\nid: '{API}'\n")
    found = find_components(str(tmp_path), ["**/compass.yml"])
    assert [component.id for component in found.components] == [API]
    assert found.problems == []
    assert found.warnings == [
        "bomb/compass.yml has aliases (*name) or merge keys (<<) that expand to more than "
        f"{MAX_ALIAS_NODES} values; ignored",
        "twice/compass.yml has the key 'id' twice (lines 1 and 3); ignored",
    ]


def test_no_usable_file_is_a_clear_error_pointing_at_the_warnings(tmp_path: Path) -> None:
    write(tmp_path, "bomb/compass.yml", merge_bomb())
    found = find_components(str(tmp_path), ["**/compass.yml"])
    assert found.components == []
    assert found.none_found() == (
        "is required: compass-files (**/compass.yml) matched 1 file(s), and none could be used "
        "(the warnings above say why); fix them or give the component IDs, one per line"
    )


def big_compass_yml(component_id: str, size: int) -> str:
    """A compass.yml padded with many small fields to ``size`` bytes: the slow case to parse."""
    return padded_compass_yml(compass_yml(component_id, "big"), size)


def test_the_bytes_read_over_all_files_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Room for three whole files of 16 KiB: the real bounds (sixteen files of 256 KiB) are the
    # same rule, and parsing three files of 256 KiB would cost this test 0.4 s of CPU.
    file_limit = 16 * 1024
    limit = 3 * file_limit
    monkeypatch.setattr(components, "COMPASS_FILE_LIMIT", file_limit)
    monkeypatch.setattr(components, "COMPASS_TOTAL_LIMIT", limit)
    count = limit // file_limit + 2
    for n in range(count):
        write(tmp_path, f"c{n:02d}/compass.yml", big_compass_yml(API, file_limit - 64))
    found = find_components(str(tmp_path), ["**/compass.yml"])
    skipped = [w for w in found.warnings if "bytes in all" in w]
    assert len(skipped) == 2
    assert skipped[0] == (
        f"c{count - 2:02d}/compass.yml would take the compass.yml files read past "
        f"{limit} bytes in all; ignored"
    )


def test_files_left_when_the_deadline_passes_are_named_and_skipped(tmp_path: Path) -> None:
    for n in range(10):
        write(tmp_path, f"c{n}/compass.yml", compass_yml(API if n == 0 else WEB, f"c{n}"))
    # A clock one second further at each look: the 5 s budget passes after a few files.
    ticks = iter(range(10**6))
    deadline = Deadline(5, lambda: float(next(ticks)))
    found = find_components(str(tmp_path), ["**/compass.yml"], deadline)
    assert [component.id for component in found.components] == [API, WEB]
    assert found.warnings[-1] == (
        "c4/compass.yml, c5/compass.yml, c6/compass.yml, c7/compass.yml, c8/compass.yml and 1 "
        "more not read: the timeout of 5 s ran out while reading compass.yml files; ignored"
    )
    assert found.ignored == 6


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: x\nfields:\n  n: " + "1" * 5000 + "\n", "line 4 that cannot be read (Exceeds"),
        ("name: x\ncreated: 2001-13-01\n", "line 3 that cannot be read (month must be in 1..12)"),
    ],
)
def test_a_number_or_date_python_cannot_build_is_refused_by_its_line(
    tmp_path: Path, text: str, reason: str
) -> None:
    write(tmp_path, "compass.yml", f"id: '{API}'\n" + text)
    found = find_components(str(tmp_path), ["compass.yml"])
    assert found.components == []
    assert found.warnings[0].startswith(f"compass.yml has a value on {reason}")


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        (
            "openapi: 3.1.0\ninfo: {title: x, tags: [a, b]}\npaths:\n  /a: {get: {}}\nz: 1\n",
            ["openapi", "info", "paths", "z"],
        ),
        ("a: &x [1, 2]\nb: *x\nc: 3\n", ["a", "b", "c"]),
        ("? [complex, key]\n: 1\nplain: 2\n", ["plain"]),
        ("- a\n- b\n", []),
        ("just text", []),
        ("", []),
        ("first: 1\n---\nsecond: 2\n", ["first"]),
    ],
)
def test_top_level_keys_from_the_event_stream(text: str, keys: list[str]) -> None:
    assert top_level_keys(text) == keys


def test_top_level_keys_stop_at_a_wanted_key() -> None:
    deep = "[" * 63 + "]" * 63
    assert top_level_keys(f"a: {deep}\nasyncapi: 2\nb: 1\n", until=("asyncapi",)) == [
        "a",
        "asyncapi",
    ]


def test_top_level_keys_refuse_nesting_before_the_scanner_slows() -> None:
    # 150,000 levels: two minutes in libyaml's scanner, a crash in its composer; refused at 65.
    deep = "[" * 150_000 + "]" * 150_000
    with pytest.raises(YamlRefused, match="nests deeper than 64 levels"):
        top_level_keys(f"a: {deep}\nopenapi: 3\n")


def test_top_level_keys_expand_no_alias() -> None:
    bomb = "".join(f"x{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}]\n" for n in range(1, 40))
    assert top_level_keys("x0: &a0 [1]\n" + bomb + "openapi: 3\n")[-1] == "openapi"
