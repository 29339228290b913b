"""Settings read from the process's environment, and from nowhere else."""

from __future__ import annotations

import os
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources import DefaultSettingsSource


class FromEnvironment(BaseSettings):
    """A pydantic-settings model that reads only its arguments and the environment.

    No ``.env`` file or secrets directory in the workspace may change an input or the run
    context, and not asking those sources saves some 10 ms of every run's start.
    """

    def __init__(self, **values: Any) -> None:
        # The sources settings_customise_sources names, made directly: pydantic-settings would
        # first make its own environment, .env and secrets sources, each reading the whole
        # environment, on every model made (a reconcile makes two a run: observe.py).
        # The arguments' source only when there are arguments: it walks every field's aliases
        # when made (0.6 ms for the inputs), and most models here are made with none.
        cls = type(self)
        given: tuple[PydanticBaseSettingsSource, ...] = (
            (InitSettingsSource(cls, values),) if values else ()
        )
        sources = (*given, _Environment(cls), DefaultSettingsSource(cls))
        super().__init__(_build_sources=(sources, values), **values)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _Environment(settings_cls))


class _Environment(PydanticBaseSettingsSource):
    """Each field's ``env_prefix`` + name from os.environ, in any case, empty values left out.

    What pydantic-settings' own environment source does for fields of plain types (every field
    here: text, numbers, booleans, enumerations, times), where the strings go to the model's
    validation as they are; without its inspection of every field's type for JSON and nested
    values, which was most of the time reading the settings took.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        config = settings_cls.model_config
        # The only configuration read here; another would be silently ignored, so it is refused.
        if config.get("case_sensitive") or not config.get("env_ignore_empty"):
            raise TypeError(
                f"{settings_cls.__name__}: only case_sensitive=False and env_ignore_empty=True "
                "are read"
            )
        self._prefix = str(config.get("env_prefix") or "").lower()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        # As pydantic-settings does: names folded to lower case, the last spelling seen wins.
        given = {name.lower(): value for name, value in os.environ.items() if value != ""}
        return {
            name: given[self._prefix + name]
            for name in self.settings_cls.model_fields
            if self._prefix + name in given
        }
