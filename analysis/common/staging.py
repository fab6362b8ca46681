"""An output folder that holds one complete run or the previous one: the run writes into a new folder beside it,
which replaces it only when everything is written.

A failed or interrupted run removes its own folder (and the parents it created) and leaves the previous output as
it was. Replacing is two renames in the same parent folder (the previous output aside, the new one in place), so
the output is missing only between them, and never half written.
"""
from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """The output folder cannot be written, or holds something a run must not replace."""


def check_out(out: Path, allowed: Iterable[str]) -> None:
    """Raise OutputError unless `out` can be (re)placed by a run whose output holds only the names `allowed`."""
    if not Path(os.path.abspath(out)).name:
        raise OutputError(f"--out {out} is the root folder: give a folder to write the run into")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder")
    if out.is_dir():
        try:
            others = sorted(p.name for p in out.iterdir() if p.name not in set(allowed))
        except OSError as exc:
            raise OutputError(f"cannot read --out {out}: {exc.strerror or exc}") from exc
        if others:
            raise OutputError(f"--out {out} holds files that no run wrote ({', '.join(others[:3])}): a run replaces "
                              "the whole folder, so give a new or empty folder")
    ancestor = _nearest_existing(out.parent)
    if not ancestor.is_dir():
        raise OutputError(f"--out {out} cannot be created: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out} cannot be written: {ancestor} is read-only")


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p, returning the folders it created (deepest last)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir()
    return list(reversed(missing))


def _remove_created(created: list[Path]) -> None:
    for f in reversed(created):
        try:
            f.rmdir()
        except OSError:
            return


def _replace(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    previous = out.with_name(f".{out.name}.{secrets.token_hex(4)}.previous")
    os.rename(out, previous)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(previous, out)
        raise
    shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A new empty folder beside `out` to write into; it becomes `out` when the block ends without an error, and is
    removed when it raises (KeyboardInterrupt too)."""
    out = Path(os.path.abspath(out))  # `--out .` has a name to put the new folder beside
    created: list[Path] = []
    try:
        created = _make_parents(out.parent)
        staging = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
        staging.mkdir()
    except OSError as exc:
        _remove_created(created)
        raise OutputError(f"cannot write --out {out}: {exc.strerror or exc}") from exc
    try:
        yield staging
        _replace(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created)
        raise OutputError(f"cannot write --out {out}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created)
        raise
