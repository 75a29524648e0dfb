"""Argument checks shared by model constructors: one clear ValueError naming the argument."""

from __future__ import annotations


def check_resolution(name: str, value: int, minimum: int = 4, maximum: int | None = None) -> int:
    """Require a power of two >= ``minimum`` (and <= ``maximum`` when given)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value & (value - 1):
        raise ValueError(f"{name} must be a power of two >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
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


def check_positive(name: str, value: int) -> int:
    """Require an int >= 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_non_negative(name: str, value: int) -> int:
    """Require an int >= 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value


def check_init_res(name: str, value: tuple[int, int]) -> tuple[int, int]:
    """Require ``(height, width)`` of the first (4-px) block: sides in {1, 2, 4}, the longer one 4 ((4, 4) = square)."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) and v in (1, 2, 4) for v in value) and max(value) == 4)
    if not ok:
        raise ValueError(f"{name} must be (height, width) with sides 1, 2 or 4 and the longer side 4 (e.g. (4, 4) "
                         f"square, (2, 4) twice as wide as high), got {value!r}")
    return int(value[0]), int(value[1])


def init_res_for(height: int, width: int) -> tuple[int, tuple[int, int]]:
    """``(resolution, init_res)`` of a model for ``height x width`` images: the longer side and the first block's shape.

    Both sides must be powers of two >= 4 with an aspect ratio of at most 4:1 (``ValueError`` naming the size otherwise).
    """
    for side in (height, width):
        if side < 4 or side & (side - 1):
            raise ValueError(f"images are {width}x{height}; the models need power-of-two sides >= 4")
    resolution = max(height, width)
    if resolution // min(height, width) > 4:
        raise ValueError(f"images are {width}x{height}; the models take aspect ratios up to 4:1")
    return resolution, (4 * height // resolution, 4 * width // resolution)


def block_shape(resolution: int, init_res: tuple[int, int]) -> tuple[int, int]:
    """``(height, width)`` of the feature maps of the block named ``resolution`` (``b4`` has ``init_res``)."""
    return resolution * init_res[0] // 4, resolution * init_res[1] // 4
