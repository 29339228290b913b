"""Environment name, category and ID."""

from __future__ import annotations

import pytest

from compass_action.compass_models import EnvironmentCategory as Cat
from compass_action.environments import environment_id, infer_category, resolve_environment
from compass_action.problems import Problem
from compass_action.run_context import RunContext


def ctx(**values: object) -> RunContext:
    return RunContext.model_validate(values)


BRANCH = ctx(ref="refs/heads/main", ref_type="branch", event_name="push")
TAG = ctx(ref="refs/tags/v1.0.0", ref_type="tag", ref_name="v1.0.0", event_name="push")
RELEASE = ctx(event_name="release")


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("production", Cat.PRODUCTION),
        ("Prod", Cat.PRODUCTION),
        ("prod-eu-west", Cat.PRODUCTION),
        ("eu_prd_1", Cat.PRODUCTION),
        ("LIVE", Cat.PRODUCTION),
        ("prod1", Cat.PRODUCTION),
        ("staging", Cat.STAGING),
        ("stage", Cat.STAGING),
        ("stg-2", Cat.STAGING),
        ("preprod", Cat.STAGING),
        ("UAT", Cat.STAGING),
        ("test", Cat.TESTING),
        ("testing", Cat.TESTING),
        ("qa.eu", Cat.TESTING),
        ("sit", Cat.TESTING),
        ("dev", Cat.DEVELOPMENT),
        ("development", Cat.DEVELOPMENT),
        ("pr-12 preview", Cat.DEVELOPMENT),
        ("sandbox", Cat.DEVELOPMENT),
        ("eu-west-1", Cat.UNMAPPED),
        ("products", Cat.UNMAPPED),
        ("devops", Cat.UNMAPPED),
        ("latest", Cat.UNMAPPED),
    ],
)
def test_category_from_the_words_of_the_name(name: str, category: Cat) -> None:
    inferred, reason = infer_category(name, BRANCH)
    assert inferred is category
    assert name in reason


def test_the_first_category_word_wins() -> None:
    assert infer_category("uat-of-prod", BRANCH)[0] is Cat.STAGING
    assert infer_category("prod-like-uat", BRANCH)[0] is Cat.PRODUCTION


@pytest.mark.parametrize("run", [TAG, RELEASE])
def test_tags_and_releases_are_production_when_the_name_says_nothing(run: RunContext) -> None:
    category, reason = infer_category("eu-west-1", run)
    assert category is Cat.PRODUCTION
    assert "tag" in reason or "release" in reason


def test_a_named_staging_environment_in_a_tag_run_stays_staging() -> None:
    assert infer_category("staging", TAG)[0] is Cat.STAGING


def test_the_name_defaults_to_production_for_tags_and_releases() -> None:
    for run in (TAG, RELEASE):
        env = resolve_environment(None, None, run)
        assert not isinstance(env, Problem)
        assert (env.name, env.category) == ("production", Cat.PRODUCTION)


def test_the_explicit_name_beats_the_deployment_event(tmp_path: object) -> None:
    run = ctx(event_name="deployment")
    run.__dict__["event"] = {"deployment": {"environment": "staging"}}
    env = resolve_environment(None, None, run)
    assert (
        not isinstance(env, Problem)
        and env.name == "staging"
        and env.source == "the deployment event"
    )
    env = resolve_environment("qa", None, run)
    assert not isinstance(env, Problem) and env.name == "qa"


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
