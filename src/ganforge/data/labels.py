"""Class labels for the dataset tool: from sub-folder names, a CSV file or a JSON file.

* ``folders``: the first sub-folder under the source root is the class (``cats/a.png`` -> ``cats``); the
  names are mapped to ids ``0..K-1`` in sorted order. Images directly in the root have no label.
* ``PATH.csv``: rows ``filename,label`` (an optional header row ``filename,label`` is skipped).
* ``PATH.json``: ``{"filename": label, ...}``, or the official ``dataset.json`` layout
  ``{"labels": [["filename", label], ...]}``.

Filenames are paths relative to the source root with ``/`` separators. Labels are either all
non-negative integers (used as the ids) or all strings (mapped to ids in sorted order, and the names
kept as ``class_names``).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path, PurePosixPath
from typing import Any

from ganforge.data.sources import SourceImage
from ganforge.utils.limits import MAX_LABEL_DIM


@dataclasses.dataclass(frozen=True)
class LabelAssignment:
    """Labels of a list of source images.

    Attributes:
        labels: per image, the integer class id, or ``None`` when the image has no label.
        class_names: names of ids ``0..K-1`` when labels came from names (folders or strings), else ``None``.
        missing_reason: why an image without a label is rejected (for the skip report).
    """

    labels: tuple[int | None, ...]
    class_names: tuple[str, ...] | None
    missing_reason: str


def _key(name: str) -> str:
    key = PurePosixPath(str(name).strip().replace("\\", "/")).as_posix()
    return key[2:] if key.startswith("./") else key


def _read_csv(path: Path) -> dict[str, Any]:
    table: dict[str, Any] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read labels ({exc})") from None
    if rows and [c.strip().lower() for c in rows[0]] in (["filename", "label"], ["file", "label"], ["path", "label"]):
        rows = rows[1:]
    for line, row in enumerate(rows, start=1):
        if len(row) != 2:
            raise ValueError(f"{path}: row {line} {row!r}: expected two columns, filename,label")
        name, label = row[0].strip(), row[1].strip()
        try:
            table[_key(name)] = int(label)
        except ValueError:
            table[_key(name)] = label
    return table


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read labels ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: cannot read labels (nested too deeply)") from None
    if isinstance(data, dict) and set(data) <= {"labels", "class_names"} and isinstance(data.get("labels"), list):
        pairs = data["labels"]
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            raise ValueError(f'{path}: "labels" must be a list of ["filename", label] pairs')
        return {_key(name): label for name, label in pairs}
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected {{"filename": label, ...}} or {{"labels": [["filename", label], ...]}}')
    return {_key(name): label for name, label in data.items()}


def _to_ids(table: dict[str, Any], source: str) -> tuple[dict[str, int], tuple[str, ...] | None]:
    values = list(table.values())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        bad = [k for k, v in table.items() if v < 0]
        if bad:
            raise ValueError(f"{source}: label of {bad[0]!r} is negative ({table[bad[0]]}); ids start at 0")
        big = next((k for k, v in table.items() if v >= MAX_LABEL_DIM), None)
        if big is not None:
            raise ValueError(f"{source}: label of {big!r} is {table[big]}, over the limit of {MAX_LABEL_DIM} classes; "
                             "label ids must be 0..K-1 for K classes")
        return dict(table), None
    if all(isinstance(v, str) for v in values):
        names = tuple(sorted(set(values)))
        index = {name: i for i, name in enumerate(names)}
        return {k: index[v] for k, v in table.items()}, names
    odd = next((k for k, v in table.items() if not isinstance(v, (int, str)) or isinstance(v, bool)), None)
    raise ValueError(f"{source}: labels must be all integers or all strings (e.g. {odd!r}: {table.get(odd)!r})"
                     if odd else f"{source}: labels mix integers and strings")


def assign_labels(spec: str | None, items: list[SourceImage]) -> LabelAssignment | None:
    """Labels for ``items`` according to ``spec`` (``folders``, a ``.csv`` or a ``.json`` path; ``None``: no labels).

    Raises:
        ValueError: unreadable or malformed label file, or no image got a label.
    """
    if spec is None:
        return None
    if spec == "folders":
        folder = [PurePosixPath(item.rel).parts[0] if len(PurePosixPath(item.rel).parts) > 1 else None
                  for item in items]
        names = tuple(sorted({f for f in folder if f is not None}))
        if not names:
            raise ValueError("--labels folders: no images are inside sub-folders of the source")
        index = {name: i for i, name in enumerate(names)}
        return LabelAssignment(tuple(None if f is None else index[f] for f in folder), names,
                               "not inside a class sub-folder")
    path = Path(spec)
    if path.suffix.lower() not in (".csv", ".json"):
        raise ValueError(f"--labels {spec!r}: expected 'folders', a .csv file or a .json file")
    if not path.is_file():
        raise ValueError(f"{path}: labels file not found")
    table = _read_csv(path) if path.suffix.lower() == ".csv" else _read_json(path)
    if not table:
        raise ValueError(f"{path}: no labels in the file")
    ids, class_names = _to_ids(table, str(path))
    labels = tuple(ids.get(_key(item.rel)) for item in items)
    if all(label is None for label in labels):
        example = next(iter(table))
        raise ValueError(f"{path}: no image matches a filename in the file (file has e.g. {example!r}, "
                         f"images are named e.g. {items[0].rel!r}: paths relative to the source)")
    return LabelAssignment(labels, class_names, f"no label in {path.name}")
