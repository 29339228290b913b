"""Settings read from the process's environment, and from nowhere else."""

from __future__ import annotations

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource


class FromEnvironment(BaseSettings):
    """A pydantic-settings model that reads only its arguments and the environment.

    No ``.env`` file or secrets directory in the workspace may change an input or the run
    context, and not asking those sources saves some 10 ms of every run's start.
    """

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)
