"""Which environment a deployment went to, its Compass category, and why.

Compass computes deployment frequency and change failure rate from the category, so the choice is
logged with its reason and exposed as an output. The words follow Atlassian's own mapping of
environment names (github-for-jira's ``mapEnvironment``), so that one environment gets the same
category in Jira and in Compass; the differences are deliberate and listed in the README.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..github.run_context import RunContext
from ..problems import Problem
from .contract import EnvironmentCategory

# In this order: a name with words of several categories takes the first, so that a name that
# carries a non-production word ("prod-test", "integration-prod") is never PRODUCTION by the name.
_CATEGORY_WORDS: dict[EnvironmentCategory, frozenset[str]] = {
    EnvironmentCategory.DEVELOPMENT: frozenset(
        # preview and sandbox are ours: review apps and sandboxes are development environments.
        {"development", "dev", "trunk", "develop", "preview", "sandbox"}
    ),
    EnvironmentCategory.TESTING: frozenset(
        {"testing", "test", "tests", "tst", "integration", "integ", "intg", "int"}
        | {"acceptance", "accept", "acpt", "qa", "qc", "control", "quality", "uat", "sit"}
    ),
    EnvironmentCategory.STAGING: frozenset(
        {"staging", "stage", "stg", "sta", "preprod", "model", "internal"}
    ),
    EnvironmentCategory.PRODUCTION: frozenset({"production", "prod", "prd", "live"}),
}
# Letters and digits are separate words, so "prod1" and "staging2" name their category (Atlassian's
# mapping leaves them UNMAPPED); anything else separates words.
_WORD = re.compile(r"[a-z]+|[0-9]+")

_NAMES_BY_DEFAULT = {
    EnvironmentCategory.PRODUCTION: "production",
    EnvironmentCategory.STAGING: "staging",
    EnvironmentCategory.TESTING: "testing",
    EnvironmentCategory.DEVELOPMENT: "development",
}


@dataclass(frozen=True)
class Environment:
    name: str
    source: str
    category: EnvironmentCategory
    category_reason: str
    warning: str | None = None


def words_of(name: str) -> list[str]:
    """The name's words, case and accents folded: "Stàging-EU" is ["staging", "eu"]."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(folded)


def category_of_name(name: str) -> tuple[EnvironmentCategory, str] | None:
    """The category the name's words give, with the word that decided it; None if none does."""
    words = set(words_of(name))
    for category, known in _CATEGORY_WORDS.items():
        decisive = sorted(words & known)
        if decisive:
            return category, decisive[0]
    return None


def _default_for_release(
    run: RunContext, category: EnvironmentCategory | None
) -> Environment | None:
    """No environment named: a tag or release deploys to production, a pre-release to staging."""
    if run.tag is None:
        return None
    what = "release" if run.release is not None else "tag"
    if category is not None:
        name = _NAMES_BY_DEFAULT.get(category, "production")
        reason = "the environment-category input"
        return Environment(name, f"the default for a {what}", category, reason)
    if run.is_pre_release:
        return Environment(
            "staging",
            f"the default for a pre-release {what}",
            EnvironmentCategory.STAGING,
            f"{run.tag} is a pre-release, which is not a production deployment "
            "(set environment or environment-category to count it as one)",
        )
    return Environment(
        "production",
        f"the default for a {what}",
        EnvironmentCategory.PRODUCTION,
        f"a {what} run with no environment named",
    )


def _named(name: str, source: str, run: RunContext) -> Environment:
    decided = category_of_name(name)
    if decided is not None:
        category, word = decided
        return Environment(name, source, category, f"the word {word!r} in the environment name")
    deployment = run.github_deployment
    if deployment is not None and deployment.production_environment is True:
        return Environment(
            name,
            source,
            EnvironmentCategory.PRODUCTION,
            "GitHub marks the deployment's environment as a production environment",
        )
    return Environment(
        name,
        source,
        EnvironmentCategory.UNMAPPED,
        f"no category word in the environment name {name!r}",
        warning=(
            f"The environment {name!r} has no word that names a category, so Compass gets it as "
            "UNMAPPED and leaves it out of deployment frequency and change failure rate. Set "
            "environment-category (PRODUCTION, STAGING, TESTING or DEVELOPMENT) to count it."
        ),
    )


def environment_id(name: str) -> str:
    """Stable for every run that deploys to the environment, distinct between environments.

    GitHub treats environment names case-insensitively, so "Production" and "production" are one.
    """
    return name.strip().lower()


def resolve_environment(
    explicit: str | None, category: EnvironmentCategory | None, run: RunContext
) -> Environment | Problem:
    """The environment and its category: the input, then the deployment event, then the tag."""
    deployment = run.github_deployment
    if explicit:
        named = _named(explicit, "the environment input", run)
    elif deployment is not None and deployment.environment:
        named = _named(deployment.environment, "the deployment event", run)
    else:
        default = _default_for_release(run, category)
        if default is not None:
            return default
        return Problem(
            "environment",
            "is required for a deployment: set it to the environment you deploy to "
            "(the same name as jobs.<id>.environment), e.g. environment: staging",
        )
    if category is not None:
        return Environment(named.name, named.source, category, "the environment-category input")
    return named
