"""Which environment a deployment went to, its Compass category, and why.

Compass computes deployment frequency and change failure rate from the category, so the choice is
logged with its reason and exposed as an output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .compass_models import EnvironmentCategory
from .problems import Problem
from .run_context import RunContext

# Words of an environment name that decide its category; the first such word wins, so
# "prod-eu-west" is PRODUCTION and "uat-2" is STAGING.
_CATEGORY_WORDS: dict[str, EnvironmentCategory] = {
    **dict.fromkeys(("prod", "production", "prd", "live"), EnvironmentCategory.PRODUCTION),
    **dict.fromkeys(("staging", "stage", "stg", "preprod", "uat"), EnvironmentCategory.STAGING),
    **dict.fromkeys(("test", "testing", "qa", "sit"), EnvironmentCategory.TESTING),
    **dict.fromkeys(("dev", "development", "preview", "sandbox"), EnvironmentCategory.DEVELOPMENT),
}
_WORD = re.compile(r"[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Environment:
    name: str
    source: str
    category: EnvironmentCategory
    category_reason: str


def resolve_name(explicit: str | None, run: RunContext) -> tuple[str, str] | Problem:
    """The environment name and where it came from, or the problem when there is none."""
    if explicit:
        return explicit, "the environment input"
    if run.deployment_environment:
        return run.deployment_environment, "the deployment event"
    if run.is_release:
        return "production", "the default for a release event"
    if run.is_tag:
        return "production", "the default for a tag"
    return Problem(
        "environment",
        "is required for a deployment: set it to the environment you deploy to "
        "(the same name as jobs.<id>.environment), e.g. environment: staging",
    )


def words_of(name: str) -> list[str]:
    return _WORD.findall(name.lower())


def infer_category(name: str, run: RunContext) -> tuple[EnvironmentCategory, str]:
    """Category from the name's words; a tag or release with an unrecognised name is PRODUCTION.

    The name wins over the tag: a tag pipeline that deploys to "staging" first must not count
    that deployment as a production one.
    """
    for word in words_of(name):
        if word in _CATEGORY_WORDS:
            category = _CATEGORY_WORDS[word]
            return category, f"the word {word!r} in the environment name {name!r}"
    if run.is_release:
        return EnvironmentCategory.PRODUCTION, "a release event, and the name has no category word"
    if run.is_tag:
        return EnvironmentCategory.PRODUCTION, "a tag run, and the name has no category word"
    return EnvironmentCategory.UNMAPPED, f"no category word in the environment name {name!r}"


def environment_id(name: str) -> str:
    """Stable for every run that deploys to the environment, distinct between environments.

    GitHub treats environment names case-insensitively, so "Production" and "production" are one.
    """
    return name.strip().lower()


def resolve_environment(
    explicit: str | None, category: EnvironmentCategory | None, run: RunContext
) -> Environment | Problem:
    resolved = resolve_name(explicit, run)
    if isinstance(resolved, Problem):
        return resolved
    name, source = resolved
    if category is not None:
        return Environment(name, source, category, "the environment-category input")
    inferred, reason = infer_category(name, run)
    return Environment(name, source, inferred, reason)
