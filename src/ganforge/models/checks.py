"""Argument checks shared by model constructors: one clear ValueError naming the argument."""

from __future__ import annotations


def check_resolution(name: str, value: int, minimum: int = 4) -> int:
    """Require a power of two >= ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value & (value - 1):
        raise ValueError(f"{name} must be a power of two >= {minimum}, got {value!r}")
    return value


def check_channels(name: str, value: int, allowed: tuple[int, ...] = (1, 2, 3, 4)) -> int:
    """Require an image channel count in ``allowed`` (grayscale, grayscale+alpha, RGB, RGBA)."""
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Require ``value`` to be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_non_negative(name: str, value: int) -> int:
    """Require an int >= 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value
