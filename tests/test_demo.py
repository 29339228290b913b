"""The README's demo (scripts/demo.sh runs tools/demo.py): it works, and fails at once, saying why,
when the Compass stand-in cannot start, instead of retrying against a broken server for minutes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import demo
from tools.action_runner import REPO

# What tools.demo needs to run from a copy of the repository.
NEEDED = ["compass_action", "tools", "contract", "entrypoint.py", "action.yml"]


def test_the_demo_shows_one_deployment_updated_in_place(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    stored = json.loads(out.split("(one deployment, updated in place) ", 1)[1].split("\n", 1)[1])
    [deployment] = stored
    assert deployment["deploymentProperties"]["state"] == "SUCCESSFUL"
    assert "--- exit code 0; outputs:" in out


@pytest.mark.parametrize("damage", ["missing", "not JSON"])
def test_a_stand_in_that_cannot_start_fails_the_demo_at_once_with_why(
    tmp_path: Path, damage: str
) -> None:
    for name in NEEDED:
        source = REPO / name
        if source.is_dir():
            # Compiled bytecode copied too (copytree keeps the times it is checked by): the
            # process started below then need not compile ~100 modules again (~1.5 s).
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    contract = tmp_path / "contract" / "events.openapi.json"
    if damage == "missing":
        contract.unlink()
    else:
        contract.write_text("{", encoding="utf-8")
    # A budget, not a measurement: minutes of retries would end here, a clear failure passes.
    done = subprocess.run(
        [sys.executable, "-m", "tools.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("demo: the Compass stand-in cannot start: the Compass contract file ")
    assert "git checkout -- contract/" in line
