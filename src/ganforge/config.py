"""Typed, frozen dataclass configs that round-trip through JSON.

Every config class derives from :class:`Config`: ``to_dict``/``to_json`` write plain JSON values,
``from_dict``/``from_json`` rebuild the object, reject unknown keys, and check each value
against the field's annotation (``int``, ``float``, ``str``, ``bool``, ``X | None``,
``Literal[...]``, ``tuple[float, ...]``, ``dict[str, X]`` and nested configs). Value ranges are checked by each
class's ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

C = TypeVar("C", bound="Config")


def _check_value(owner: str, name: str, hint: Any, value: Any) -> Any:
    """Return ``value`` converted to the annotated type, or raise ``ValueError`` naming the field."""
    origin, args = get_origin(hint), get_args(hint)
    where = f"{owner}.{name}"
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_value(owner, name, arg, value)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if len(errors) == 1 else f"{where}: {value!r} matches none of {hint}")
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{where} must be one of {list(args)}, got {value!r}")
        return value
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where} must be an object with string keys, got {type(value).__name__}")
        return {k: _check_value(owner, f"{name}.{k}", args[1], v) for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where} must be a list, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_check_value(owner, name, args[0], v) for v in value)
        if len(args) != len(value):
            raise ValueError(f"{where} must have {len(args)} items, got {len(value)}")
        return tuple(_check_value(owner, name, a, v) for a, v in zip(args, value))
    if isinstance(hint, type) and issubclass(hint, Config):
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object, got {type(value).__name__}")
        return hint.from_dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string, got {value!r}")
        return value
    raise TypeError(f"{where}: unsupported annotation {hint!r}")


def _to_json_value(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class Config:
    """Base class of all configs (subclasses are ``@dataclass(frozen=True)``)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict, in field order."""
        return {f.name: _to_json_value(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Build from a dict, rejecting unknown keys and ill-typed values (missing keys take defaults)."""
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown key(s) {unknown}; valid keys: {names}")
        kwargs = {k: _check_value(cls.__name__, k, hints[k], v) for k, v in data.items()}
        return cls(**kwargs)

    @classmethod
    def from_json(cls: type[C], text_or_path: str | Path) -> C:
        """Build from JSON text or from a ``.json`` file path."""
        source = "JSON text"
        text = str(text_or_path)
        if isinstance(text_or_path, Path) or (not text.lstrip().startswith("{") and Path(text).is_file()):
            source = str(text_or_path)
            text = Path(text_or_path).read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not valid JSON ({exc})") from None
        return cls.from_dict(data)

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (type-checked like ``from_dict``)."""
        return type(self).from_dict({**self.to_dict(), **changes})
