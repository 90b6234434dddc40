"""kpt setters: `field: value # kpt-set: ${name}` applied to YAML without losing comments.

Semantics follow kpt's apply-setters function: the comment holds a pattern; every ${name}
in it is replaced by the setter's value and the result becomes the field's value; a field
whose pattern names a setter without a value is left as it is; the comment stays, so the
hydrated package can be hydrated again. A field that is exactly one setter takes the
setter's type (an integer stays an integer); a partial pattern always gives a string.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

SETTER_COMMENT = re.compile(r"#\s*kpt-set:\s*(\S.*?)\s*$", re.MULTILINE)
SETTER_REF = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")


def yaml_rt() -> YAML:
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.preserve_quotes = True
    y.width = 4096
    return y


_RT = yaml_rt()  # building a YAML object costs more than a small load: keep one
_PARSED: dict[str, list[Any]] = {}


def load_cached(text: str) -> list[Any]:
    """A fresh copy of the parsed documents: parse a blueprint file once, copy it per use
    (a deep copy costs a third of a ruamel parse)."""
    docs = _PARSED.get(text)
    if docs is None:
        if len(_PARSED) > 512:
            _PARSED.clear()
        docs = _PARSED[text] = load_all(text)
    return copy.deepcopy(docs)


def read_all(text: str) -> list[Any]:
    """Documents as plain data, for reading only (libyaml: far faster than a round trip)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(text, Loader=loader) if d is not None]  # noqa: S506


def names_in_text(text: str) -> set[str]:
    """Setter names in a file's kpt-set comments, without parsing the YAML."""
    names: set[str] = set()
    for pattern in SETTER_COMMENT.findall(text):
        names.update(SETTER_REF.findall(pattern))
    return names


def load_all(text: str) -> list[Any]:
    return [d for d in _RT.load_all(text) if d is not None]


def dump_all(docs: list[Any]) -> str:
    buf = io.StringIO()
    _RT.dump_all(docs, buf)
    return buf.getvalue()


def _pattern(token: Any) -> str | None:
    """The kpt-set pattern of a comment token attached after a value, if it is one."""
    if token is None:
        return None
    text = getattr(token, "value", "")
    first = text.split("\n", 1)[0]
    m = SETTER_COMMENT.search(first)
    return m.group(1) if m else None


def _slots(node: Any) -> Iterator[tuple[Any, Any, str]]:
    """(container, key or index, pattern) for every scalar carrying a kpt-set comment."""
    if isinstance(node, CommentedMap):
        for key in list(node.keys()):
            entry = node.ca.items.get(key)
            value = node[key]
            if entry and not isinstance(value, CommentedMap | CommentedSeq):
                pattern = _pattern(entry[2])
                if pattern:
                    yield node, key, pattern
            yield from _slots(value)
    elif isinstance(node, CommentedSeq):
        for idx, value in enumerate(node):
            entry = node.ca.items.get(idx)
            if entry and not isinstance(value, CommentedMap | CommentedSeq):
                pattern = _pattern(entry[0])
                if pattern:
                    yield node, idx, pattern
            yield from _slots(value)


def setter_names(docs: list[Any]) -> set[str]:
    """Every setter name a package's documents use."""
    names: set[str] = set()
    for doc in docs:
        for _c, _k, pattern in _slots(doc):
            names.update(SETTER_REF.findall(pattern))
    return names


# Plain scalars YAML (1.1 or 1.2) would read as something other than a string.
_NOT_STRING = re.compile(
    r"""^(?:
        [-+]?(?:0|[1-9][0-9_]*)                      # decimal integer
      | [-+]?0[0-7_]+ | 0o[0-7]+ | 0x[0-9a-fA-F_]+ | 0b[01_]+   # other integers
      | [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?   # float
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | (?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
      | ~ | null | Null | NULL
      | [0-9]+(?::[0-5]?[0-9])+(?:\.[0-9_]*)?      # sexagesimal (YAML 1.1)
    )$""",
    re.VERBOSE,
)


def _implicitly_not_string(text: str) -> bool:
    """Would a plain YAML scalar with this text be read as something other than a string?"""
    return not text or bool(_NOT_STRING.match(text))


def render_value(pattern: str, values: dict[str, Any], old: Any = None) -> Any:
    """The new field value for a pattern, or None when a setter in it has no value.

    A field that held a string stays a string (Kubernetes wants `args` as strings even when
    a setter is an integer); a field that held a number or boolean takes the typed value.
    """
    names = SETTER_REF.findall(pattern)
    if any(n not in values for n in names):
        return None
    whole = SETTER_REF.fullmatch(pattern)
    if whole and not isinstance(old, str):
        value = values[whole.group(1)]
        if isinstance(value, bool | int | float):
            return value
        text = str(value)
    else:
        text = SETTER_REF.sub(lambda m: _text(values[m.group(1)]), pattern)
    # A string that YAML would read as a number or boolean keeps its quotes.
    return DoubleQuotedScalarString(text) if _implicitly_not_string(text) else text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_setters(docs: list[Any], values: dict[str, Any]) -> int:
    """Apply setter values to loaded documents in place; returns how many fields changed."""
    changed = 0
    for doc in docs:
        for container, key, pattern in list(_slots(doc)):
            new = render_value(pattern, values, container[key])
            if new is None:
                continue
            if container[key] != new or type(container[key]) is not type(new):
                changed += 1
            container[key] = new
            _tighten(container, key)
    return changed


def _tighten(container: Any, key: Any) -> None:
    """Put the setter comment one space after the new value, as kpt writes it, instead of
    at the column where it sat after the old value."""
    entry = container.ca.items.get(key)
    token = entry[2] if isinstance(container, CommentedMap) else entry[0]
    mark = getattr(token, "start_mark", None)
    if mark is not None:
        token.start_mark = copy.copy(mark)
        token.start_mark.column = 0


def unset_setters(docs: list[Any], values: dict[str, Any]) -> set[str]:
    """Setter names used by the documents that `values` does not give."""
    return {n for n in setter_names(docs) if n not in values}


# -- compiled blueprints ----------------------------------------------------------------
# Parsing and dumping with ruamel.yaml costs tens of milliseconds per file; a chain of a
# hundred services would spend seconds on it. A blueprint file is therefore compiled once:
# ruamel parses it, each setter field is replaced by a placeholder and the file is dumped
# with every comment in place. Hydration then only fills the placeholders with the values
# rendered as YAML scalars; the tests check this gives the same data as `apply_setters`.
_SLOT = "kptslot{:05d}x"
_SLOT_RE = re.compile(r"kptslot(\d{5})x")
_FILLED = re.compile(r"([\"']?)kptslot(\d{5})x\1")  # the dump may have quoted a placeholder
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


class Template:
    def __init__(self, text: str, slots: list[tuple[str, Any]]):
        self.text = text
        self.slots = slots


_TEMPLATES: dict[str, Template | None] = {}


def compile_template(text: str) -> Template | None:
    """The file with placeholders for its setter fields; None if it cannot be compiled."""
    if text in _TEMPLATES:
        return _TEMPLATES[text]
    template: Template | None = None
    if not _SLOT_RE.search(text):
        docs = load_all(text)
        slots: list[tuple[str, Any]] = []
        for doc in docs:
            for container, key, pattern in list(_slots(doc)):
                slots.append((pattern, container[key]))
                container[key] = _SLOT.format(len(slots) - 1)
                _tighten(container, key)
        dumped = dump_all(docs)
        if len(_SLOT_RE.findall(dumped)) == len(slots):
            template = Template(dumped, slots)
    if len(_TEMPLATES) > 512:
        _TEMPLATES.clear()
    _TEMPLATES[text] = template
    return template


def _plain_ok(text: str) -> bool:
    """Can this string be written as a plain (unquoted) block scalar and read back as is?"""
    if not text or text != text.strip() or _implicitly_not_string(text):
        return False
    if text[0] in _INDICATORS and not (text[0] in "-?:" and len(text) > 1 and text[1] != " "):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    return all(c.isprintable() and c != "\t" for c in text)


def scalar_text(value: Any) -> str:
    """A YAML scalar for a value, as it appears after `key: ` in block style."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:  # YAML 1.1 wants 1.0e-05
            mantissa, exp = text.split("e")
            text = f"{mantissa}.0e{exp}"
        return text
    text = str(value)
    quoted = isinstance(value, DoubleQuotedScalarString) or type(value).__name__.endswith(
        "QuotedScalarString"
    )
    if quoted or not _plain_ok(text):
        return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar
    return text


def fill(template: Template, values: dict[str, Any]) -> str:
    """The template with each setter field rendered from `values` (kpt semantics: a field
    whose pattern names a setter without a value keeps its blueprint value)."""
    rendered = []
    for pattern, old in template.slots:
        new = render_value(pattern, values, old)
        rendered.append(scalar_text(old if new is None else new))
    return _FILLED.sub(lambda m: rendered[int(m.group(2))], template.text)
