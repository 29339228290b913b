"""The ``properties`` input: a YAML or JSON mapping laid over the kind's derived properties.

The rare fields of a kind (a vulnerability's ``score``, a push's ``author``, a severity's
``label``) are not worth an input each. The mapping is merged over what the action derived and
the result is validated by the same models as every body, so an unknown key or a wrong type is
an input problem naming the key, found before anything is sent.

The text is an input anyone with write access to the workflow sets, so it is parsed with bounds:
a size limit, then yaml_files.py (nesting, no key twice) with no aliases at all: they are the way
a few bytes of YAML become a huge document ("billion laughs") and have no use in a few
properties.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .contract import EventInput

# A few properties fit in a few hundred bytes; this leaves room for long texts and stops a
# mistaken paste (a whole scanner report, say) before it is parsed.
PROPERTIES_LIMIT = 16 * 1024


def parse_properties(text: str) -> dict[str, Any]:
    """The mapping ``text`` holds; raise ValueError saying what is wrong with it."""
    return load_mapping(
        text,
        "Give only the few properties to set, e.g. {score: 9.8, discoverySource: trivy}",
        "must be a mapping of property names to values, e.g. {score: 9.8} or "
        '{"author": {"name": "Mona"}}',
    )


def load_mapping(text: str, too_long: str, not_a_mapping: str) -> dict[str, Any]:
    """The YAML or JSON mapping with text keys that an input holds, read with the bounds above
    (``properties``, ``environment-categories``); raise ValueError saying what is wrong."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > PROPERTIES_LIMIT:
        raise ValueError(f"is {size} bytes long; at most {PROPERTIES_LIMIT} are read. {too_long}")
    # Imported here: only a run given such an input parses YAML (a plain send imports none).
    import yaml

    from ..yaml_files import YamlRefused, load_yaml

    try:
        # Aliases are refused before anything is built from them.
        data = load_yaml(text, aliases=False)
    except YamlRefused as exc:
        raise ValueError(str(exc)) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise ValueError(
            f"is not YAML or JSON{at}: {getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ValueError(not_a_mapping)
    return data


def _merged(derived: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``derived``; a mapping in both (a severity, an author) merges key by key."""
    merged = dict(derived)
    for key, value in given.items():
        old = merged.get(key)
        merged[key] = (
            _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged


def with_properties(event: EventInput, given: dict[str, Any]) -> EventInput:
    """The event with ``given`` merged over its kind's properties, validated again.

    Raises ValueError naming the first key that is unknown or of the wrong type.
    """
    body = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    [kind] = body
    [properties_key] = (key for key in body[kind] if key.endswith("Properties"))
    body[kind][properties_key] = _merged(body[kind][properties_key], given)
    try:
        return type(event).model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"][2:]) or properties_key
        message = (
            "is not a property of this event"
            if error["type"] == "extra_forbidden"
            else (error["msg"][0].lower() + error["msg"][1:])
        )
        raise ValueError(f"{where}: {message}") from None
