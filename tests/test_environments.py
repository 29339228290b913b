"""Environment name, category and ID."""

from __future__ import annotations

from typing import Any

import pytest

from compass_action.events.contract import EnvironmentCategory as Cat
from compass_action.events.environments import (
    CategoryRule,
    category_of_name,
    environment_id,
    parse_category_rules,
    resolve_environment,
    words_of,
)
from compass_action.github.run_context import RunContext
from compass_action.problems import Problem

from .webhooks import payload


def ctx(event: dict[str, Any] | None = None, **values: object) -> RunContext:
    run = RunContext.model_validate(values)
    run.__dict__["event"] = event or {}  # the payload, as if read from GITHUB_EVENT_PATH
    return run


BRANCH = ctx(ref="refs/heads/main", ref_type="branch", event_name="push")
TAG = ctx(ref="refs/tags/v1.0.0", ref_type="tag", ref_name="v1.0.0", event_name="push")
PRE_RELEASE_TAG = ctx(
    ref="refs/tags/v1.2.3-rc.1", ref_type="tag", ref_name="v1.2.3-rc.1", event_name="push"
)
RELEASE = ctx(payload("release/published.payload.json"), event_name="release")
PRE_RELEASE = ctx(payload("release/prereleased.payload.json"), event_name="release")

D, T, S, P, U = Cat.DEVELOPMENT, Cat.TESTING, Cat.STAGING, Cat.PRODUCTION, Cat.UNMAPPED

# Every environment name of Atlassian's github-for-jira mapping tests
# (src/transforms/transform-deployment.test.ts, "deployment environment mapping", the cases
# without a user config), with the type that app gives it. One category in Jira and in Compass.
ATLASSIAN_TABLE = [
    ("development", D), ("dev", D), ("trunk", D), ("develop", D),
    ("testing", T), ("test", T), ("tests", T), ("tst", T), ("integration", T), ("integ", T),
    ("intg", T), ("int", T), ("acceptance", T), ("accept", T), ("acpt", T), ("qa", T),
    ("qc", T), ("control", T), ("quality", T),
    ("staging", S), ("stage", S), ("stg", S), ("sta", S), ("preprod", S), ("model", S),
    ("internal", S),
    ("production", P), ("prod", P), ("prd", P), ("live", P),
    ("prod-east", P), ("prod_east", P), ("east-staging", S), ("qa:1", T), ("mary-dev:1", D),
    ("スパイク・スピーゲル-dev:1", D), ("trunk alpha", D), ("production(us-east)", P),
    ("prd (eu-central)", P),
    ("Staging", S), ("PROD-east", P),
    ("stàging", S),
    ("banana-east", U), ("internet", U), ("製造", U),
]  # fmt: skip


@pytest.mark.parametrize(("name", "category"), ATLASSIAN_TABLE)
def test_names_get_the_category_atlassians_apps_give_them(name: str, category: Cat) -> None:
    resolved = resolve_environment(name, None, BRANCH)
    assert not isinstance(resolved, Problem)
    assert resolved.category is category


# Where we differ from Atlassian's mapping on purpose (docs/environments.md).
DELIBERATE_DIFFERENCES = [
    # Digits are words of their own: numbered environments keep their category (Jira: unmapped).
    ("prod1", P), ("staging2", S), ("eu-prd2", P), ("qa3", T),
    # Review apps and sandboxes are development environments (Jira: unmapped).
    ("preview", D), ("pr-12 preview", D), ("sandbox", D),
    # A word before production that makes it the stage before it: staging (Jira: production).
    ("pre-prod", S), ("pre-production", S), ("Pre_Prod-EU", S), ("preproduction", S),
    ("pre-live", S), ("pre prd", S),
    # Words that deny production name no category (Jira: production), unless another word does.
    ("non-prod-qa", T), ("not-prod-dev", D), ("nonprod-staging", S),
]  # fmt: skip

# Names that only say they are not production: never PRODUCTION, and no category (UNMAPPED, with
# the warning that says to map them), where github-for-jira counts them as production.
NEGATING_NAMES = ["non-prod", "non-production", "not-prod", "nonprod", "non_prd", "no-live"]


@pytest.mark.parametrize("name", NEGATING_NAMES)
def test_a_name_that_denies_production_is_never_production(name: str) -> None:
    assert category_of_name(name) is None
    resolved = resolve_environment(name, None, BRANCH)
    assert not isinstance(resolved, Problem)
    assert resolved.category is U and resolved.warning is not None
    assert "environment-categories" in resolved.warning


@pytest.mark.parametrize(("name", "category"), DELIBERATE_DIFFERENCES)
def test_deliberate_differences_from_atlassians_mapping(name: str, category: Cat) -> None:
    decided = category_of_name(name)
    assert decided is not None and decided[0] is category


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("prod-test", T),
        ("integration-prod", T),
        ("prod-staging", S),
        ("live-dev", D),
        ("uat-of-prod", T),
        ("production-like-preprod", S),
    ],
)
def test_a_name_with_a_non_production_word_is_never_production(name: str, category: Cat) -> None:
    decided = category_of_name(name)
    assert decided is not None and decided[0] is category


def test_words_fold_case_and_accents_and_split_letters_from_digits() -> None:
    assert words_of("Stàging-EU2") == ["staging", "eu", "2"]
    assert words_of("products") == ["products"]  # no partial words: "products" is not "prod"


def test_an_unknown_explicit_name_is_unmapped_with_a_warning_even_in_a_tag_run() -> None:
    for run in (BRANCH, TAG, RELEASE):
        env = resolve_environment("eu-west-1", None, run)
        assert not isinstance(env, Problem)
        assert env.category is Cat.UNMAPPED
        assert env.warning is not None and "environment-category" in env.warning


def test_a_named_staging_environment_in_a_tag_run_stays_staging() -> None:
    env = resolve_environment("staging", None, TAG)
    assert not isinstance(env, Problem) and env.category is Cat.STAGING


@pytest.mark.parametrize("run", [TAG, RELEASE])
def test_with_no_name_tags_and_releases_deploy_to_production(run: RunContext) -> None:
    env = resolve_environment(None, None, run)
    assert not isinstance(env, Problem)
    assert (env.name, env.category) == ("production", Cat.PRODUCTION)
    assert env.warning is None


@pytest.mark.parametrize("run", [PRE_RELEASE_TAG, PRE_RELEASE])
def test_pre_releases_deploy_to_staging_unless_told_otherwise(run: RunContext) -> None:
    env = resolve_environment(None, None, run)
    assert not isinstance(env, Problem)
    assert (env.name, env.category) == ("staging", Cat.STAGING)
    assert "pre-release" in env.category_reason
    told = resolve_environment(None, Cat.PRODUCTION, run)
    assert not isinstance(told, Problem)
    assert (told.name, told.category) == ("production", Cat.PRODUCTION)
    named = resolve_environment("production", None, run)
    assert not isinstance(named, Problem) and named.category is Cat.PRODUCTION


def test_a_github_deployment_names_the_environment() -> None:
    run = ctx(payload("deployment/payload.json"), event_name="deployment")
    env = resolve_environment(None, None, run)
    assert not isinstance(env, Problem)
    assert (env.name, env.source) == ("production", "the deployment event")
    env = resolve_environment("qa", None, run)  # the input still wins
    assert not isinstance(env, Problem) and env.name == "qa"


def test_githubs_production_flag_decides_where_the_name_does_not() -> None:
    event = payload("deployment/payload.json")
    event["deployment"] |= {"environment": "eu-west-1", "production_environment": True}
    env = resolve_environment(None, None, ctx(event, event_name="deployment"))
    assert not isinstance(env, Problem)
    assert env.category is Cat.PRODUCTION and env.warning is None
    assert "production environment" in env.category_reason
    event["deployment"]["production_environment"] = False
    env = resolve_environment(None, None, ctx(event, event_name="deployment"))
    assert not isinstance(env, Problem) and env.category is Cat.UNMAPPED


def test_an_explicit_category_wins_over_inference() -> None:
    env = resolve_environment("prod-mirror", Cat.TESTING, TAG)
    assert not isinstance(env, Problem)
    assert env.category is Cat.TESTING and env.category_reason == "the environment-category input"


def test_a_branch_deployment_without_environment_is_a_problem() -> None:
    problem = resolve_environment(None, None, BRANCH)
    assert isinstance(problem, Problem) and problem.input == "environment"


def test_environment_ids_are_stable_per_environment_and_distinct_between() -> None:
    assert environment_id("Production") == environment_id("production ") == "production"
    assert environment_id("staging") != environment_id("production")


RULES = "{customer-portal: production, 'preview-*': DEVELOPMENT, 'Portal-*': staging}"


def test_environment_categories_map_names_and_patterns_before_the_words() -> None:
    rules = parse_category_rules(RULES)
    # The exact name first, then the patterns in the order written.
    assert rules[0] == CategoryRule("customer-portal", P)
    cases = {
        "customer-portal": (P, "the name 'customer-portal' in environment-categories"),
        "Customer-Portal": (P, "the name 'customer-portal' in environment-categories"),
        "preview-prod-42": (D, "the pattern 'preview-*' in environment-categories"),
        "portal-eu": (S, "the pattern 'Portal-*' in environment-categories"),
        "staging": (S, "the word 'staging' in the environment name"),
    }
    for name, (category, reason) in cases.items():
        env = resolve_environment(name, None, BRANCH, rules)
        assert not isinstance(env, Problem)
        assert (env.category, env.category_reason, env.warning) == (category, reason, None)
    # The environment-category input still wins.
    env = resolve_environment("customer-portal", T, BRANCH, rules)
    assert not isinstance(env, Problem) and env.category is T


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{a: PROD}", "'PROD' is not a category"),
        ("[a, b]", "must be a mapping"),
        ("a: &x PRODUCTION\nb: *x", "alias"),
        ("x" * (16 * 1024 + 1), "at most 16384"),
        ("{'': TESTING}", "empty environment name"),
    ],
)
def test_environment_categories_that_cannot_be_read_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_category_rules(text)
