"""Which environment a deployment went to, its Compass category, and why.

Compass computes deployment frequency and change failure rate from the category, so the choice is
logged with its reason and exposed as an output. The words follow Atlassian's own mapping of
environment names (github-for-jira's ``mapEnvironment``), so that one environment gets the same
category in Jira and in Compass; the differences are deliberate and listed in docs/counting.md.

The order of the rules, for every deployment the action sends (a live step, a mirrored GitHub
deployment, an observer, a reconcile, each component): ``environment-category``; the
``environment-categories`` mapping (names and patterns); the words of the name; GitHub's
production flag; else UNMAPPED. ``resolve_environment`` is the one place that applies them.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import unicodedata
from typing import NamedTuple

from ..github.run_context import RunContext
from ..problems import Problem
from .contract import EnvironmentCategory
from .properties import load_mapping

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
        {"staging", "stage", "stg", "sta", "preprod", "preproduction", "model", "internal"}
    ),
    EnvironmentCategory.PRODUCTION: frozenset({"production", "prod", "prd", "live"}),
}
# A word that comes before production without being it: "pre-prod" is the stage before
# production, a staging environment (as "preprod" is); github-for-jira counts "pre-prod" as
# production because it sees the word "prod".
_BEFORE_PRODUCTION = frozenset({"pre"})
# Words that deny production: "non-prod", "not-prod" say what the environment is not, and nothing
# of what it is, so they name no category (UNMAPPED, unless another word names one).
_NEGATING = frozenset({"non", "not", "no"})
# The same, written as one word.
_JOINED = {
    **{f"{before}{word}": "pre" for before in _BEFORE_PRODUCTION for word in ("prod", "prd")},
    **{
        f"{negation}{word}": "non"
        for negation in _NEGATING
        for word in ("prod", "production", "prd", "live")
    },
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


class Environment(NamedTuple):
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
    words = _production_qualified(words_of(name))
    for category, known in _CATEGORY_WORDS.items():
        decisive = sorted(words & known)
        if decisive:
            return category, decisive[0]
    return None


def _production_qualified(words: list[str]) -> set[str]:
    """The words, with a production word that a word before it qualifies taken as what the pair
    means: "pre prod" as "preprod" (STAGING), "non prod" and "not prod" as no category."""
    production = _CATEGORY_WORDS[EnvironmentCategory.PRODUCTION]
    kept: set[str] = set()
    for index, word in enumerate(words):
        joined = _JOINED.get(word)
        before = words[index - 1] if index > 0 else ""
        if joined == "pre" or (word in production and before in _BEFORE_PRODUCTION):
            kept.add("preprod")
        elif joined == "non" or (word in production and before in _NEGATING):
            continue
        else:
            kept.add(word)
    return kept


class CategoryRule(NamedTuple):
    """One entry of ``environment-categories``: a name or a glob pattern, and its category."""

    pattern: str
    category: EnvironmentCategory

    @property
    def is_pattern(self) -> bool:
        return any(char in self.pattern for char in "*?[")

    def matches(self, name: str) -> bool:
        folded = name.strip().casefold()
        if self.is_pattern:
            return fnmatch.fnmatchcase(folded, self.pattern.casefold())
        return folded == self.pattern.strip().casefold()


MAX_CATEGORY_RULES = 200


@functools.lru_cache(maxsize=8)  # read once, though every deployment of a reconcile asks
def parse_category_rules(text: str) -> tuple[CategoryRule, ...]:
    """``environment-categories``: a YAML mapping of names or glob patterns to categories,
    bounded as ``properties`` is (size, no aliases); raise ValueError saying what is wrong."""
    data = load_mapping(
        text,
        "Give one line per environment name or pattern, e.g. {customer-portal: PRODUCTION}",
        "must be a mapping of environment names or patterns to categories, e.g. "
        "{customer-portal: PRODUCTION, preview-*: DEVELOPMENT}",
    )
    if len(data) > MAX_CATEGORY_RULES:
        raise ValueError(f"has {len(data)} entries; at most {MAX_CATEGORY_RULES} are read")
    rules = []
    for pattern, value in data.items():
        try:
            category = EnvironmentCategory(str(value).strip().upper())
        except ValueError:
            raise ValueError(
                f"{pattern}: {str(value)[:40]!r} is not a category; give PRODUCTION, STAGING, "
                "TESTING, DEVELOPMENT or UNMAPPED"
            ) from None
        if not pattern.strip():
            raise ValueError("has an empty environment name; give a name or a pattern")
        rules.append(CategoryRule(pattern.strip(), category))
    # A name given exactly wins over a pattern; patterns apply in the order written.
    return tuple(sorted(rules, key=lambda rule: rule.is_pattern))


def category_by_rule(
    name: str, rules: tuple[CategoryRule, ...]
) -> tuple[EnvironmentCategory, str] | None:
    """The category ``environment-categories`` gives the name, with the rule that decided it."""
    for rule in rules:
        if rule.matches(name):
            what = "pattern" if rule.is_pattern else "name"
            return rule.category, f"the {what} {rule.pattern!r} in environment-categories"
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


def _named(name: str, source: str, run: RunContext, rules: tuple[CategoryRule, ...]) -> Environment:
    by_rule = category_by_rule(name, rules)
    if by_rule is not None:
        return Environment(name, source, *by_rule)
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
            "UNMAPPED and leaves it out of deployment frequency and change failure rate. Map it "
            "in environment-categories (or set environment-category: PRODUCTION, STAGING, "
            "TESTING or DEVELOPMENT) to count it."
        ),
    )


def environment_id(name: str) -> str:
    """Stable for every run that deploys to the environment, distinct between environments.

    GitHub treats environment names case-insensitively, so "Production" and "production" are one.
    """
    return name.strip().lower()


def resolve_environment(
    explicit: str | None,
    category: EnvironmentCategory | None,
    run: RunContext,
    rules: tuple[CategoryRule, ...] = (),
) -> Environment | Problem:
    """The environment and its category: the input, then the deployment event, then the tag;
    the category from ``category`` (environment-category), then ``rules``
    (environment-categories), then the name's words (see the module's text)."""
    deployment = run.github_deployment
    if explicit:
        named = _named(explicit, "the environment input", run, rules)
    elif deployment is not None and deployment.environment:
        named = _named(deployment.environment, "the deployment event", run, rules)
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
