"""The names an input goes by, from action.yml to the code."""

from __future__ import annotations

from compass_action.input_names import carrying_variables, input_name, variable_name


def test_an_input_has_one_name_in_each_place() -> None:
    assert input_name("api_token") == "api-token"
    assert variable_name("api-token") == "COMPASS_API_TOKEN"
    assert variable_name("report-pull-requests") == "COMPASS_REPORT_PULL_REQUESTS"


def test_the_runners_own_variables_carry_the_input_too() -> None:
    assert carrying_variables("user-email") == {
        "COMPASS_USER_EMAIL",
        "INPUT_USER-EMAIL",
        "INPUT_USER_EMAIL",
    }
