"""Development tools: the Compass stand-in server, the contract check, the demo and benchmarks."""

from __future__ import annotations

from typing import Any

# A component ARI of the documented shape, for local runs against the stand-in. Here rather than
# in action_runner so that tests/conftest.py has it without loading the action (xdist's
# controller loads conftest.py before it starts the workers, and needs none of the action).
EXAMPLE_COMPONENT = (
    "ari:cloud:compass:83673fa7-fd28-4f4a-9738-f584064570a7:"
    "component/db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)


def read_trusted_yaml(text: str) -> Any:
    """YAML of this repository (action.yml, the docs' workflow examples) as tests and tools read
    it: with libyaml where PyYAML has it, some ten times faster than PyYAML's own parser (3 ms
    against 37 ms for action.yml, which each worker reads). Nothing the action reads comes
    here: that goes through its own bounded parser, compass_action.yaml_files."""
    import yaml  # here: conftest.py imports this package, and the controller needs no YAML

    if yaml.__with_libyaml__:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)
