"""The networks one ``ganforge serve`` offers: found under the path it was started with (looked for again on every
listing, so snapshots a running training writes appear), named by opaque ids.

``--network`` may be a network file (one entry), a run folder (every ``network-snapshot-*`` of it, by kimg) or a
folder of runs and files (each run's snapshots, each network file; two levels deep). The browser only ever sends an
id from :meth:`Catalog.entries`; an id is a hash, never a path, so nothing outside what was listed can be opened.

Each entry opens its file on first use (:func:`ganforge.inference.open_networks`) and holds a lock: one generation at
a time per model, the others wait their turn (a queue in arrival order). Only the ``max_loaded`` most recently used
networks stay in memory.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganforge.inference import NetworkFile, open_networks, resolve_network
from ganforge.inference.open import readable_suffixes
from ganforge.train.checkpoint import find_checkpoints

ID_RE = re.compile(r"^[0-9a-f]{12}$")
_KIMG_RE = re.compile(r"network-snapshot-(\d+)")


@dataclass(eq=False)
class Entry:
    """One servable network file."""

    id: str
    """Opaque id: the first 12 hex digits of the SHA-1 of the path relative to the served root."""
    label: str
    """What the page shows: ``run / kimg 120`` or the file name."""
    run: str
    """The run folder's name (or ``""`` for a loose file)."""
    kimg: int | None
    """Training progress of a snapshot, ``None`` when unknown."""
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Held while the shared generator renders: one generation at a time per model."""
    project_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Held by a running projection (on its own copy of G): one projection at a time per model."""


def _kimg(path: Path) -> int | None:
    match = _KIMG_RE.match(path.name)
    return int(match.group(1)) if match else None


class Catalog:
    """The networks under ``root``, by id, opened lazily on ``device``."""

    def __init__(self, root: str | Path, device: torch.device | str = "cpu", max_loaded: int = 2):
        self.root = Path(root).resolve()
        self.device = torch.device(device)
        self.max_loaded = max_loaded
        self._entries: dict[str, Entry] = {}
        self._loaded: OrderedDict[str, NetworkFile] = OrderedDict()
        self._open_lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self.refresh()
        if not self._entries:
            raise ValueError(f"{root}: no network file, run folder or folder of runs with network snapshots here")

    def _find(self) -> list[Path]:
        root = self.root
        if not root.exists():
            raise ValueError(f"{root}: no such network file or folder")
        if root.is_file():
            return [resolve_network(root)]
        suffixes = set(readable_suffixes())
        found: list[Path] = []
        for folder in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
            snapshots = find_checkpoints(folder)
            found += snapshots
            if folder != root and not snapshots:
                found += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes
                                and not p.name.startswith("."))
        found += sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in suffixes
                        and not p.name.startswith(".") and p not in found)
        return found

    def refresh(self) -> None:
        """Add the network files that appeared under the root since the last look (ids of known files stay the
        same; a file that disappeared keeps its entry and fails with a clear error when opened)."""
        with self._scan_lock:
            try:
                found = self._find()
            except (OSError, ValueError):
                return
            known = {e.path for e in self._entries.values()}
            for path in found:
                if path not in known:
                    self._add(path)

    def _add(self, path: Path) -> None:
        rel = path.resolve().relative_to(self.root) if path.resolve() != self.root else Path(path.name)
        entry_id = hashlib.sha1(str(rel).encode()).hexdigest()[:12]
        kimg = _kimg(path)
        run = path.parent.name if kimg is not None else ""
        label = f"{run} / kimg {kimg}" if kimg is not None else path.name
        self._entries[entry_id] = Entry(entry_id, label, run, kimg, path)

    def entries(self) -> list[Entry]:
        """Every entry (after :meth:`refresh`), runs in name order with their snapshots by kimg, then loose files."""
        self.refresh()
        return sorted(self._entries.values(), key=lambda e: (e.kimg is None, e.run, e.kimg or 0, e.label))

    def entry(self, entry_id: str) -> Entry:
        """The entry of an id.

        Raises:
            LookupError: Not an id of this catalog (a path, ``..``, or an unknown id).
        """
        if not isinstance(entry_id, str) or not ID_RE.match(entry_id) or entry_id not in self._entries:
            shown = entry_id if isinstance(entry_id, str) and len(entry_id) <= 64 else "(long value)"
            raise LookupError(f"unknown network {shown!r}: use an id from /api/networks (ids are not paths)")
        return self._entries[entry_id]

    def open(self, entry_id: str) -> tuple[Entry, NetworkFile]:
        """The entry and its opened network (built on first use, kept among the ``max_loaded`` latest)."""
        entry = self.entry(entry_id)
        with self._open_lock:
            if entry.id in self._loaded:
                self._loaded.move_to_end(entry.id)
                return entry, self._loaded[entry.id]
        net = open_networks(entry.path, self.device)
        _ = net.G  # build now, so that a misfit is this request's error
        with self._open_lock:
            self._loaded[entry.id] = net
            self._loaded.move_to_end(entry.id)
            while len(self._loaded) > self.max_loaded:
                self._loaded.popitem(last=False)
        return entry, net

    def clusters_file(self, entry: Entry) -> Path | None:
        """A ``centroids.npz`` written by ``ganforge clusters`` next to the network: in its folder or one level
        below it (``runs/00000-x/clusters/centroids.npz``); ``None`` when there is none."""
        folder = entry.path.parent
        for candidate in [folder / "centroids.npz", *sorted(folder.glob("*/centroids.npz"))]:
            if candidate.is_file():
                return candidate
        return None
