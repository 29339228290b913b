"""Settings read from the process's environment, and from nowhere else."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings


class FromEnvironment(BaseSettings):
    """A pydantic-settings model that reads only its arguments and the environment.

    Each field is ``env_prefix`` + its name in the environment, in any case (the last spelling
    seen wins, as pydantic-settings folds them), an empty value left out; arguments win over
    the environment. That is what pydantic-settings does for fields of plain types (every field
    here: text, numbers, booleans, enumerations, times), the strings going to the model's
    validation as they are. Its own machinery is not run: it would also read ``.env`` files and
    a secrets directory, which must not change an input or the run context, inspect every
    field's type for JSON and nested values, and merge its sources' results key by key, which
    together cost more than the model's validation (in every run, and in every model
    ``model_validate`` makes, since pydantic calls this ``__init__`` for it).
    """

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        config = cls.model_config
        # The only configuration read here; another would be silently ignored, so it is refused.
        if config.get("case_sensitive") or not config.get("env_ignore_empty"):
            raise TypeError(
                f"{cls.__name__}: only case_sensitive=False and env_ignore_empty=True are read"
            )
        prefix = str(config.get("env_prefix") or "").lower()
        fields = {prefix + name: name for name in cls.model_fields}
        found: dict[str, str] = {}
        # The names first, the values only of the fields': os.environ decodes each value read.
        for variable in os.environ:
            field = fields.get(variable.lower())
            if field is not None and (value := os.environ[variable]) != "":
                found[field] = value
        # pydantic's own __init__, past BaseSettings' (which would run the sources again).
        BaseModel.__init__(self, **(found | values))
