"""Issue 21, items 3 and 4: the API spec and the package lock file, uploaded per component.

The stand-in takes each multipart body apart and checks it field by field against the published
contract (tools/standin_uploads.py); the tests then read what it accepted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_action.extras.plan import Upload
from compass_action.extras.uploads import API_SPEC_LIMIT, multipart
from tools.action_runner import Run, StepResult
from tools.compass_standin import Standin
from tools.standin_graphql import FakeComponent
from tools.standin_uploads import check_upload

from .conftest import CLOUD_ID, COMPONENT, credentials
from .inprocess import InProcess
from .test_monorepo import compass_yml

PUSH = Run(event_name="push", ref="refs/heads/main")
SHA = PUSH.sha
WORKSPACE_ID = "db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60"
API = f"ari:cloud:compass:{CLOUD_ID}:component/{WORKSPACE_ID}/0000000a-aaaa-4bbb-8ccc-0123456789ab"
WEB = f"ari:cloud:compass:{CLOUD_ID}:component/{WORKSPACE_ID}/0000000b-aaaa-4bbb-8ccc-0123456789ab"
SPEC_YAML = (
    "openapi: 3.1.0\ninfo:\n  title: Shop API\n  version: 1.2.3\n"
    "paths:\n  /carts:\n    get:\n      responses:\n        '200':\n          description: OK\n"
)
LOCK = {
    "name": "shop-web",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "shop-web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}},
        "node_modules/left-pad": {
            "version": "1.3.0",
            "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9ZrNHbF8GXtF7nlFSJ1Ip/"
            "dEqHjR5vBe3JGEJLs9t9VcOXg5=",
        },
    },
}


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def _write(workspace: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def only_uploads(server: Standin, **extra: str) -> dict[str, str]:
    return credentials(server) | {"event-type": "none"} | extra


def test_an_api_spec_is_uploaded_to_the_component(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    _write(workdir, {"api/openapi.yaml": SPEC_YAML})
    result = in_process(PUSH, only_uploads(standin, **{"api-spec": "api/openapi.yaml"}), workdir)

    assert result.exit_code == 0, printed(result)
    [upload] = standin.state.uploads
    assert upload.operation == "uploadAPISpec"
    assert upload.component == COMPONENT.rsplit("/", 1)[-1]  # the contract's uuid
    assert (upload.filename, upload.content_type) == ("openapi.yaml", "application/yaml")
    assert upload.content == SPEC_YAML.encode()
    [entry] = json.loads(result.outputs["metrics"])
    assert (entry["metric"], entry["status"], entry["delivered"]) == ("api-spec", "200", True)
    assert "| api-spec |" in result.summary


def test_a_json_spec_goes_to_every_component(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    standin.state.graphql.components.append(FakeComponent(API, "api", "API"))
    spec = json.dumps({"asyncapi": "3.0.0", "info": {"title": "Orders", "version": "1"}})
    _write(workdir, {"asyncapi.json": spec})
    with_ = credentials(standin) | {
        "event-type": "build",
        "state": "successful",
        "component-id": f"{COMPONENT},{API}",
        "api-spec": "asyncapi.json",
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    uploads = standin.state.uploads
    assert sorted(u.component for u in uploads) == sorted(
        [COMPONENT.rsplit("/", 1)[-1], API.rsplit("/", 1)[-1]]
    )
    assert {u.content_type for u in uploads} == {"application/json"}


@pytest.mark.parametrize(
    ("files", "given", "said"),
    [
        ({"spec.txt": SPEC_YAML}, "spec.txt", "not a .json, .yaml or .yml file"),
        ({"spec.yaml": "just: text\n"}, "spec.yaml", "no top-level openapi, swagger or asyncapi"),
        ({"spec.json": "{not json"}, "spec.json", "is not UTF-8 JSON"),
        ({"spec.yaml": "a: [\n"}, "spec.yaml", "is not UTF-8 YAML"),
        ({}, "missing.yaml", "does not exist"),
        # A JSON flood is counted, not built; the YAML spec nests past libyaml's composer limit
        # (which would end the process) and is still only read for its top-level keys.
        ({"spec.json": "[" + "{}," * 600_000 + "{}]"}, "spec.json", "more than 1000000 JSON"),
        ({"spec.yaml": "a: " + "[" * 150_000 + "]" * 150_000}, "spec.yaml", "deeper than 64"),
    ],
)
def test_an_api_spec_that_is_not_one_is_refused_before_sending(
    standin: Standin,
    in_process: InProcess,
    workdir: Path,
    files: dict[str, str],
    given: str,
    said: str,
) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    _write(workdir, files)
    result = in_process(PUSH, only_uploads(standin, **{"api-spec": given}), workdir)

    assert result.exit_code == 1
    assert "Input api-spec" in printed(result) and said in printed(result)
    assert standin.received() == []


def test_a_yaml_spec_with_anchors_is_uploaded_as_written(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    # Only the top-level keys are read (yaml_files.top_level_keys; a bomb and a nesting past
    # libyaml's composer are tested there): anchors and aliases are the spec's own business.
    shared = "x-ok: &ok {description: OK}\nx-again: *ok\n"
    _write(workdir, {"spec.yaml": shared + SPEC_YAML})
    result = in_process(PUSH, only_uploads(standin, **{"api-spec": "spec.yaml"}), workdir)

    assert result.exit_code == 0, printed(result)
    [upload] = standin.state.uploads
    assert upload.content_type == "application/yaml"
    assert upload.content == (shared + SPEC_YAML).encode()


def test_an_api_spec_too_large_or_outside_the_workspace_is_refused(
    standin: Standin, in_process: InProcess, workdir: Path, tmp_path: Path
) -> None:
    workdir.mkdir(parents=True)
    with (workdir / "huge.json").open("wb") as handle:
        handle.truncate(API_SPEC_LIMIT + 1)
    (tmp_path / "outside.yaml").write_text(SPEC_YAML)
    (workdir / "link.yaml").symlink_to(tmp_path / "outside.yaml")

    too_large = in_process(PUSH, only_uploads(standin, **{"api-spec": "huge.json"}), workdir)
    outside = in_process(PUSH, only_uploads(standin, **{"api-spec": "link.yaml"}), workdir)

    assert too_large.exit_code == 1 and "larger than 10 MiB" in printed(too_large)
    assert outside.exit_code == 1 and "leads outside the workspace" in printed(outside)
    assert standin.received() == []


def test_a_lock_file_is_uploaded_with_its_source_and_link(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    _write(workdir, {"web/package-lock.json": json.dumps(LOCK)})
    with_ = only_uploads(standin, **{"package-lock": "web/package-lock.json"})
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    [upload] = standin.state.uploads
    assert upload.operation == "uploadLockFile"
    assert upload.query == {
        "componentId": COMPONENT,
        "sourceId": "web_package-lock.json",
        "baseSourceUrl": f"https://github.com/acme/shop/blob/{SHA}/web/package-lock.json#L",
    }
    assert upload.filename == "package-lock.json" and json.loads(upload.content) == LOCK


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("package-lock.json", '{"lockfileVersion": 3, "x": "' + "a" * 2_000_000 + '"}', "larger"),
        ("yarn.lock", "# yarn lockfile v1\n", "not a package-lock.json"),
        ("package-lock.json", '{"name": "x"}', "no lockfileVersion"),
    ],
)
def test_a_lock_file_compass_would_refuse_is_refused_before_sending(
    standin: Standin, in_process: InProcess, workdir: Path, name: str, content: str, said: str
) -> None:
    _write(workdir, {name: content})
    result = in_process(PUSH, only_uploads(standin, **{"package-lock": name}), workdir)

    assert result.exit_code == 1
    assert "Input package-lock" in printed(result) and said in printed(result)
    assert standin.received() == []


def test_in_a_monorepo_each_component_uploads_its_own_lock_file(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    standin.state.graphql.components += [
        FakeComponent(API, "api", "API"),
        FakeComponent(WEB, "web", "Web"),
    ]
    web_lock = dict(LOCK, name="web")
    _write(
        workdir,
        {
            "services/api/compass.yml": compass_yml(API, "api"),
            "services/web/compass.yml": compass_yml(WEB, "web"),
            "services/web/package-lock.json": json.dumps(web_lock),
            "package-lock.json": json.dumps(LOCK),  # the root's, for api (npm workspaces)
        },
    )
    with_ = only_uploads(standin, **{"component-id": "", "package-lock": "package-lock.json"})
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    sent = {u.query["componentId"]: u.query["sourceId"] for u in standin.state.uploads}
    assert sent == {
        API: "package-lock.json",
        WEB: "services_web_package-lock.json",
    }


def test_a_dry_run_uploads_nothing(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    _write(workdir, {"openapi.yaml": SPEC_YAML, "package-lock.json": json.dumps(LOCK)})
    with_ = {
        "dry-run": "true",
        "component-id": COMPONENT,
        "event-type": "none",
        "api-spec": "openapi.yaml",
        "package-lock": "package-lock.json",
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    assert standin.received() == []
    assert "Dry run: would PUT openapi.yaml" in result.stdout
    statuses = [entry["status"] for entry in json.loads(result.outputs["metrics"])]
    assert statuses == ["dry-run", "dry-run"]


# -- the stand-in's own strictness -------------------------------------------------------------


def _spec_upload() -> Upload:
    return Upload("api-spec", COMPONENT, "openapi.yaml", SPEC_YAML.encode(), "application/yaml")


def test_the_multipart_body_we_send_passes_the_stand_ins_checks() -> None:
    body, content_type = multipart(_spec_upload())
    path = f"/gateway/api/compass/v1/component/{COMPONENT.rsplit('/', 1)[-1]}/api_specs"
    assert check_upload(path, content_type, body, [COMPONENT]).status == 200


@pytest.mark.parametrize(
    ("mangle", "said"),
    [
        (lambda b: b.replace(b'name="file"', b'name="spec"'), "part 'spec' is not in the contract"),
        (lambda b: b.replace(b'; filename="openapi.yaml"', b""), "carries no file name"),
    ],
)
def test_the_stand_in_refuses_a_body_off_the_contract(mangle: object, said: str) -> None:
    body, content_type = multipart(_spec_upload())
    path = f"/gateway/api/compass/v1/component/{COMPONENT.rsplit('/', 1)[-1]}/api_specs"
    assert callable(mangle)
    checked = check_upload(path, content_type, mangle(body), [COMPONENT])
    assert checked.status == 400 and said in str(checked.answer)


def test_the_stand_in_wants_the_lock_files_query_and_a_uuid_in_the_spec_path() -> None:
    body, content_type = multipart(_spec_upload())
    no_query = check_upload(
        "/gateway/api/compass/v1/package_dependencies/lock_file", content_type, body, []
    )
    ari_path = check_upload(
        f"/gateway/api/compass/v1/component/{COMPONENT}/api_specs", content_type, body, []
    )
    assert no_query.status == 400 and "query parameter sourceId is required" in no_query.answer
    assert ari_path.status in (400, 404)


def test_the_boundary_never_occurs_in_the_file() -> None:
    upload = _spec_upload()
    body, content_type = multipart(upload)
    boundary = content_type.split("boundary=")[1].encode()
    assert body.count(boundary) == 2 and boundary not in upload.content
