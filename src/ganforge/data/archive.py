"""Atomic, reproducible writing of a dataset folder or an uncompressed ``.zip``.

Everything goes to a hidden temporary sibling of the destination (``.NAME.tmp-PID-*``) and is renamed
into place by :meth:`DatasetWriter.commit`, so an interrupted or failed run leaves no half-written
dataset. A failed run (a full disk included) removes its temporary; one killed outright (``kill -9``)
cannot, so the next run for the same destination removes the temporaries whose process is gone. Zip entries are ``ZIP_STORED`` (like the official tool, PNGs are already compressed) with a
fixed timestamp (1980-01-01), fixed permissions and must be added in sorted order: the same content
always gives the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from ganforge.utils.atomic import atomic_write_bytes  # noqa: F401  (re-exported for callers of this module)

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest zip timestamp: no build time leaks into the archive


def _fsync(path: Path) -> None:
    if os.name == "nt" and path.is_dir():
        return  # Windows cannot open folders for fsync
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(paths: list[Path]) -> None:
    """fsync many files (and folders) at once: the kernel batches concurrent flushes."""
    if paths:
        with ThreadPoolExecutor(min(16, len(paths))) as pool:
            list(pool.map(_fsync, paths))


_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+$")
_UNOWNED_TEMP_AGE_SEC = 24 * 3600  # temporaries of older versions (no PID in the name): removed when a day old


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its temporary
    return True


def remove_stale_temporaries(dest: Path) -> list[Path]:
    """Remove the temporaries of earlier runs for ``dest`` that were killed before cleaning up.

    Only hidden siblings named ``.{dest.name}.tmp-PID-*`` / ``.old-PID-*`` (what :class:`DatasetWriter`
    creates) whose process ``PID`` no longer runs are removed, and un-numbered ones a day old.

    Returns:
        The removed paths.
    """
    removed = []
    if not dest.parent.is_dir():
        return removed
    for path in dest.parent.iterdir():
        match = _TEMP_RE.match(path.name)
        if match is None or match["name"] != dest.name:
            continue
        pid = match["pid"]
        try:
            stale = (not _process_alive(int(pid))) if pid else time.time() - path.lstat().st_mtime > _UNOWNED_TEMP_AGE_SEC
        except OSError:
            continue
        if stale and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _is_nonempty(path: Path) -> bool:
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


class DatasetWriter:
    """Collects dataset files under a temporary name and renames them to ``dest`` on :meth:`commit`.

    ``dest`` ending in ``.zip`` gives an uncompressed zip archive; anything else a folder. Use as a
    context manager: leaving the block with an exception (or without ``commit``) removes the temporary.

    Args:
        dest: destination folder or ``.zip`` path.
        force: replace an existing non-empty destination (otherwise that is a ``ValueError``).
    """

    def __init__(self, dest: str | Path, *, force: bool = False):
        self.dest = Path(dest)
        self.is_zip = self.dest.suffix.lower() == ".zip"
        if self.is_zip and self.dest.is_dir():
            raise ValueError(f"{self.dest}: is a folder, but a path ending in .zip means a zip archive")
        if not self.is_zip and self.dest.exists() and not self.dest.is_dir():
            raise ValueError(f"{self.dest}: is a file; give a folder, or a path ending in .zip")
        if _is_nonempty(self.dest) and not force:
            raise ValueError(f"{self.dest}: already exists and is not empty (use --force to replace it)")
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.dest)
        prefix = f".{self.dest.name}.tmp-{os.getpid()}-"
        self._last_name = ""
        self._written: list[Path] = []
        self._zip: zipfile.ZipFile | None = None
        if self.is_zip:
            fd, tmp = tempfile.mkstemp(prefix=prefix, dir=self.dest.parent)
            os.close(fd)
            self.tmp = Path(tmp)
            self._zip = zipfile.ZipFile(self.tmp, "w", zipfile.ZIP_STORED)
        else:
            self.tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=self.dest.parent))

    def add(self, name: str, data: bytes) -> None:
        """Add one file (``name`` is ``/``-separated; names must come in increasing sorted order)."""
        if name <= self._last_name:
            raise ValueError(f"dataset entries must be added in sorted order: {name!r} after {self._last_name!r}")
        self._last_name = name
        if self._zip is not None:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, whatever the host: same bytes everywhere
            info.external_attr = 0o644 << 16
            self._zip.writestr(info, data)
            return
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)  # fsync'ed in parallel by commit(): one by one is ~40x slower
        self._written.append(path)

    def commit(self) -> Path:
        """Finish the temporary and rename it to ``dest`` (replacing an old one); returns ``dest``."""
        if self._zip is not None:
            archive, self._zip = self._zip, None
            archive.close()  # may fail (full disk): abort() then only removes the file
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.dest)
            return self.dest
        _fsync_all([*self._written, *sorted({p.parent for p in self._written}), self.tmp])
        self._written = []
        os.chmod(self.tmp, 0o755)
        old = None
        if self.dest.exists():
            # Move the old folder aside first: the rename of the new one is then a single step.
            old = Path(tempfile.mkdtemp(prefix=f".{self.dest.name}.old-{os.getpid()}-", dir=self.dest.parent))
            os.replace(self.dest, old / "data")
        os.replace(self.tmp, self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.dest

    def abort(self) -> None:
        """Remove the temporary (idempotent); never fails, so that the error that led here is the one reported."""
        if self._zip is not None:
            archive, self._zip = self._zip, None
            try:
                archive.close()  # writes the central directory: fails again on a full disk
            except (OSError, ValueError):
                fp, archive.fp = archive.fp, None  # closed for good: ZipFile.__del__ must not retry the write
                if fp is not None:
                    fp.close()
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.abort()  # after commit() the temporary is gone and this does nothing
