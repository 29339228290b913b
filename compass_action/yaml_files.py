"""Parsing YAML we did not write (compass.yml files, the ``properties`` input), with bounds.

YAML's safe loader builds no objects, but it still expands aliases and merge keys: a 700-byte
``<<: [*a, *a, ...]`` bomb takes minutes and gigabytes in ``yaml.safe_load``, and libyaml's
composer recurses once per nesting level until it crashes the process. So the document is
composed here, node by node, from libyaml's event stream (fast, not recursive), with bounds
checked as it goes:

- nesting deeper than MAX_DEPTH is refused before the composer recurses into it;
- more than MAX_NODES nodes written, or aliases (``*a``, merge keys ``<<: *a``) that would add
  more than MAX_ALIAS_NODES nodes once expanded, are refused when the alias is met, before
  anything is expanded: each node's expanded size is known when it is complete, so an alias
  costs an addition, not an expansion;
- an alias to a node that is not complete yet (a document that contains itself) is refused;
- a key written twice in one mapping is refused, naming the key and its lines: which of the two
  was meant cannot be told;
- the deadline is checked every few hundred nodes;
- a value the YAML rules make a number or a date that Python cannot build (an integer of more
  than 4,300 digits, ``2001-13-01``) is refused naming its line, not raised as a bare ValueError.

Only then are Python values built, by the safe constructor, from a graph the bounds hold.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .limits import Deadline

MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_ALIAS_NODES = 10_000
_CHECK_EVERY = 256
_MERGE = "tag:yaml.org,2002:merge"


class _PureParser(Reader, Scanner, Parser):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


# libyaml's parser when the wheel has it (it does on Linux): the same events, ten times faster.
_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or _PureParser


class YamlRefused(ValueError):
    """The document passes a bound or writes a key twice; the message says which, for a user."""


class _BoundedComposer(Composer):
    # The parser's, found later in the loader's bases (the stubs leave it out of Composer's).
    check_event: Callable[..., bool]

    def _setup(self, deadline: Deadline | None, aliases: bool) -> None:
        self._deadline = deadline
        self._aliases_allowed = aliases
        self._nodes = 0
        self._added = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its node count once aliases expand

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise YamlRefused(f"has more than {MAX_NODES} values")
        if self._deadline is not None and self._nodes % _CHECK_EVERY == 0:
            self._deadline.check()
        if not self.check_event(AliasEvent):
            return super().compose_node(parent, index)
        if not self._aliases_allowed:
            raise YamlRefused("uses a YAML alias (*name); write each value out")
        node = super().compose_node(parent, index)
        size = self._sizes.get(id(node)) if node is not None else None
        if size is None:
            raise YamlRefused("has an alias (*name) inside the value it names")
        self._added += size
        if self._added > MAX_ALIAS_NODES:
            raise YamlRefused(
                f"has aliases (*name) or merge keys (<<) that expand to more than "
                f"{MAX_ALIAS_NODES} values"
            )
        return node

    # The stubs type ``anchor`` as a dict; it is the anchor's name or None.
    def compose_scalar_node(self, anchor: dict[Any, Node]) -> ScalarNode:
        node = super().compose_scalar_node(anchor)
        self._sizes[id(node)] = 1
        return node

    def compose_sequence_node(self, anchor: dict[Any, Node]) -> SequenceNode:
        self._enter()
        node = super().compose_sequence_node(anchor)
        self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes[id(item)] for item in node.value)
        return node

    def compose_mapping_node(self, anchor: dict[Any, Node]) -> MappingNode:
        self._enter()
        node = super().compose_mapping_node(anchor)
        self._depth -= 1
        _refuse_duplicate_keys(node)
        self._sizes[id(node)] = 1 + sum(
            self._sizes[id(key)] + self._sizes[id(value)] for key, value in node.value
        )
        return node

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlRefused(f"nests deeper than {MAX_DEPTH} levels")


def _refuse_duplicate_keys(node: MappingNode) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key, _value in node.value:
        if not isinstance(key, ScalarNode) or key.tag == _MERGE:
            continue
        line = key.start_mark.line + 1
        first = seen.get((key.tag, key.value))
        if first is not None:
            raise YamlRefused(f"has the key {key.value!r} twice (lines {first} and {line})")
        seen[(key.tag, key.value)] = line


class _CheckedConstructor(SafeConstructor):
    """The safe constructor, with a value YAML's rules read as a number or date that Python
    cannot build (5,000 digits, 2001-13-01) refused by its line instead of escaping as a bare
    ValueError from deep inside the constructor."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except YamlRefused:
            raise
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(";")[0].split(":")[0]
            raise YamlRefused(
                f"has a value on line {node.start_mark.line + 1} that cannot be read ({reason})"
            ) from None


class _BoundedLoader(_BoundedComposer, _Parser, _CheckedConstructor, Resolver):  # type: ignore[misc]
    def __init__(self, text: str, deadline: Deadline | None, aliases: bool) -> None:
        _Parser.__init__(self, text)
        Composer.__init__(self)
        _CheckedConstructor.__init__(self)
        Resolver.__init__(self)
        self._setup(deadline, aliases)


def load_yaml(text: str, deadline: Deadline | None = None, *, aliases: bool = True) -> Any:
    """The one document in ``text``, within the bounds above.

    Raises YamlRefused (a ValueError) for a bound passed or a key written twice, yaml.YAMLError
    for what is not YAML, DeadlineExceeded when the deadline passes.
    """
    loader = _BoundedLoader(text, deadline, aliases)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def top_level_keys(
    text: str,
    deadline: Deadline | None = None,
    until: Collection[str] = (),
    max_depth: int = 64,
) -> list[str]:
    """The plain keys of the document's top-level mapping ([] when the document is none), up
    to the first key in ``until`` when one is met (the rest is not read).

    Read from the parser's events alone, so nothing is composed or built: memory stays flat
    and no alias is expanded, whatever the size of the document (an API spec may be megabytes;
    only its first keys are wanted). Nesting is still bounded: libyaml's scanner checks every
    open level at each token, so 40,000 nested ``[`` took 7.7 s and 150,000 two minutes.
    Raises YamlRefused past ``max_depth``, yaml.YAMLError for what is not YAML.
    """
    parser = _Parser(text)
    keys: list[str] = []
    depth, key_next, seen = 0, True, 0
    try:
        while (event := parser.get_event()) is not None:
            seen += 1
            if deadline is not None and seen % _CHECK_EVERY == 0:
                deadline.check()
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                if depth == 0 and isinstance(event, SequenceStartEvent):
                    return []
                depth += 1
                if depth > max_depth:
                    raise YamlRefused(f"nests deeper than {max_depth} levels")
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                depth -= 1
                key_next ^= depth == 1  # a nested value of the top mapping ended
            elif depth == 1 and isinstance(event, ScalarEvent | AliasEvent):
                if key_next and isinstance(event, ScalarEvent):
                    keys.append(event.value)
                    if event.value in until:
                        return keys
                key_next = not key_next
            elif isinstance(event, DocumentEndEvent):
                return keys  # the first document only
    finally:
        parser.dispose()
    return keys
