"""The build cache: processed results of unchanged inputs, reused by the next build.

``lvrn build`` keeps, in ``data/processed/.cache/`` (ignored by git, like the rest of
``data/processed/``), one *entry* per input file holding what reading it gave
(police: `lvrn_analysis.sources.police.cached`; every other source: its
`lvrn_analysis.sources.validation.LoadResult` objects). An entry is used only when
its key matches, and the key is the SHA-256 of

* the input's bytes (`BuildCache.file_sha256()`),
* the input's label as recorded in the outputs (its path relative to the working
  folder: the police month check and the quarantine's ``file`` column use it),
* the *code fingerprint* (`code_fingerprint()`) of what the results depend on
  (`CODE`): for police files the police reader, the row accounting, the area
  configuration code and the reference geography; for the other sources every
  reader and every shipped reference file; always the package version and the
  Python, NumPy, pandas and pyarrow versions,
* the area configuration (every field, e.g. its forces and authorities) and the
  source's name,

so that a change to any of them is a miss. The cache also keeps the last kept
police tables with an identity per row group
(`lvrn_analysis.processed.splice.TableRecord`), so that an
incremental build copies the unchanged row groups instead of encoding them again
(`lvrn_analysis.processed.splice`).

Hashing every input on every build would cost more than the rest of an incremental
build (4.6 GB of national files take about 3 s), so, as ``git`` and ``make`` do, a
file's SHA-256 is remembered with its size, modification time (ns), inode and
change time, and computed again only when one of them differs. When police files
are read by worker processes, a file whose stat changed (a new month, most likely)
is hashed by the worker that reads it, not here first (`ScopedCache.known_key()`):
the worker makes the key, and if the cache holds that entry (the same bytes, e.g. a
copied file) it does not parse the file and the entry is used. ``lvrn build
--no-cache`` reads and writes no cache at all.

Each table's entries are kept in one *pack* file (``packs/<scope>.pack``), written
at the end of every build with the entries that build used: those taken from the
previous pack and those of the inputs it read (written one per file meanwhile, by
whichever process read the input, under ``entries/``, and gathered into the pack).
A pack ends with its index (a footer, as in a zip or parquet file), so when a build
used every entry of the previous pack (a monthly update) the new entries, their geo
records and a new index are *appended* to it and the old bytes are neither read nor
written again (the pack is mapped into memory, not read); otherwise, or once
superseded indexes take a quarter of the file, the pack is written anew with only
the entries used (their bytes copied) and each geo record once. Police entries keep
their geo records (authority, LSOA, status) in the pack's table rather than once per
file, so the next build places each record in its area index once
(`lvrn_analysis.sources.police.cached`).

Monthly police files read in month order are also kept as *finished months*: once a
month's files are resolved together (superseded force-months, kept blocks), its
accounting records, kept (force, month) pairs, quarantine and the identities of its
kept blocks are stored under a key made of the month's file keys
(`lvrn_analysis.sources.police.cached.month_key()`), so that the next build takes
the month whole (`ScopedCache.load_month()`) and keeps its files' entries without
decoding them (`ScopedCache.keep()`); a month entry is never counted as an input.

What the police area index learnt (each LSOA code–name pair and the authority and
status the rules gave it, `lvrn_analysis.sources.police.index.AreaIndex.state()`)
is kept in ``index/<key>.state``, keyed by the police code fingerprint and the area
configuration, as a series of checksummed chunks: the next build's index takes it
before its worker processes start (`BuildCache.load_index()`), so that they inherit
it and read a month of known LSOAs without evaluating any rule, and the pairs it
learns are appended as one more chunk (`BuildCache._write_indexes()`).

Entries are read back with a restricted unpickler (NumPy, pandas, pyarrow and this
package's result classes only) after their own SHA-256 is checked (the pack's
index, geo table and geo maps have theirs too); an entry that fails either check
is ignored, left out of the next pack and named in the build's notes, and the
input is read again. An entry kept without being decoded keeps the checksum it was
stored with, so a damaged one is still caught whenever a build decodes it. Entries,
packs and index states not used by a build are removed at its end. What the cache
gave a build is written to ``last-build.json`` in the cache folder (and summed up by
``lvrn build``), not to the manifest, which is the same with or without the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import lvrn_analysis
from lvrn_analysis.processed.packs import (
    ENTRY_MAGIC,
    Pack,
    append_pack,
    decode,
    encode,
    gc_paused,
    iter_state_chunks,
    read_pack,
    state_chunk,
    write_bytes,
    write_pack,
    write_text,
)
from lvrn_analysis.processed.splice import SpliceError, TableRecord, read_parts
from lvrn_analysis.sources.police.cached import join_geo, split_geo
from lvrn_analysis.sources.validation import sha256_bytes, sha256_file

__all__ = ["CACHE_DIR", "LAST_BUILD", "BuildCache", "ScopedCache", "code_fingerprint",
           "entry_key_of"]

#: Folder of the cache inside the processed folder.
CACHE_DIR = ".cache"

_HASHES = "hashes.json"
#: What the cache gave the last build (`BuildCache.summary()`).
LAST_BUILD = "last-build.json"


#: What the results of each kind of input depend on: package files and folders (under
#: ``lvrn_analysis/``). Police files: the police reader, the row accounting, the area
#: configuration and its geography; other sources: every reader and every shipped
#: reference file; the kept police tables' row groups: the police inputs' code and
#: the build that writes them.
CODE = {
    "police": ("__init__.py", "_resources.py", "parallel.py", "sources/__init__.py",
               "sources/validation.py", "sources/police", "config", "areas",
               "reference/geography"),
    "sources": ("__init__.py", "_resources.py", "parallel.py", "sources", "config", "areas",
                "reference"),
}
CODE["tables"] = (*CODE["police"], "processed")


def code_fingerprint(kind: str = "sources") -> str:
    """Return the SHA-256 of the code and reference data that make one kind of result.

    Covers the package files and folders of ``CODE[kind]`` (``"police"``,
    ``"sources"`` or ``"tables"``), the package version, and the Python, NumPy,
    pandas and pyarrow versions. Computed once per process and kind.
    """
    if _FINGERPRINT is not None:  # fixed by a test
        return f"{_FINGERPRINT}:{kind}"
    if kind not in _FINGERPRINTS:
        pkg = Path(lvrn_analysis.__file__).resolve().parent
        files: list[Path] = []
        for name in CODE[kind]:
            p = pkg / name
            files += [p] if p.is_file() else [
                f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                and f.suffix != ".pyc"]
        h = hashlib.sha256()
        h.update(json.dumps([kind, lvrn_analysis.__version__, platform.python_version(),
                             np.__version__, pd.__version__, pa.__version__]).encode())
        for p in sorted(files):
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
        _FINGERPRINTS[kind] = h.hexdigest()
    return _FINGERPRINTS[kind]


_FINGERPRINTS: dict[str, str] = {}
#: Replaces every fingerprint when set (tests use it to stand for a code change).
_FINGERPRINT: str | None = None


@dataclass
class BuildCache:
    """The cache of one processed folder (``<out>/.cache``), for one build.

    Parameters
    ----------
    root
        The cache folder.

    Attributes
    ----------
    notes
        What the cache could not use (corrupted entries or packs).
    reused
        Per table, labels of the inputs taken from the cache.
    row_groups
        Per kept police table, row groups copied from the previous build and in all.
    """

    root: Path
    notes: list[str] = field(default_factory=list)
    reused: dict[str, list[str]] = field(default_factory=dict)
    _hashes: dict[str, list] = field(default_factory=dict)
    _scopes: dict[str, ScopedCache] = field(default_factory=dict)
    _tables: set[str] = field(default_factory=set)
    #: per kept police table: row groups copied from the previous build, and in all
    row_groups: dict[str, list[int]] = field(default_factory=dict)
    #: per police index state key: the index, its pair count once loaded, and the
    #: chunks loaded (-1: the file is missing or unusable)
    _indexes: dict[str, tuple[object, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        try:
            self._hashes = json.loads((self.root / _HASHES).read_text(encoding="utf-8"))
            if not isinstance(self._hashes, dict):
                self._hashes = {}
        except (OSError, ValueError):
            self._hashes = {}
        self._used_hashes: dict[str, list] = {}
        self._stamps: dict[str, list] = {}  # stats of files not hashed here yet

    # ------------------------------------------------------------------ inputs
    def file_sha256(self, path: Path | str, *, known_only: bool = False) -> str | None:
        """Return the SHA-256 of a file's bytes, from memory if its stat is unchanged.

        With ``known_only``, a file whose stat changed is not read: ``None`` is
        returned, and `adopt_sha256()` later records the SHA-256 computed elsewhere
        (by the worker process that reads the file).
        """
        p = os.path.abspath(path)
        st = os.stat(p)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        known = self._hashes.get(p)
        if known is not None and known[:4] == stamp:
            sha = known[4]
        elif known_only:
            self._stamps[p] = stamp
            return None
        else:
            sha = sha256_file(p)
        self._used_hashes[p] = [*stamp, sha]
        return sha

    def adopt_sha256(self, path: Path | str, sha: str) -> None:
        """Record the SHA-256 of a file `file_sha256()` did not read (``known_only``)."""
        p = os.path.abspath(path)
        stamp = self._stamps.pop(p, None)
        if stamp is None:  # (listed twice: its stat was taken once)
            st = os.stat(p)
            stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        self._used_hashes[p] = [*stamp, sha]

    def scope(self, table: str, salt: str, kind: str = "sources") -> ScopedCache:
        """Return the cache for one table's inputs (one pack).

        ``salt`` is the area's configuration; ``kind`` names the code the results
        depend on (`CODE`).
        """
        key = hashlib.sha256(f"{code_fingerprint(kind)}\n{table}\n{salt}".encode()).hexdigest()
        if key not in self._scopes:
            sc = self._scopes[key] = ScopedCache(self.root, key, table, self)
            sc.index_key = hashlib.sha256(
                f"{code_fingerprint(kind)}\nindex\n{salt}".encode()).hexdigest()
        return self._scopes[key]

    # ------------------------------------------------------------------ area indexes
    def load_index(self, key: str, index: object, table: str) -> None:
        """Give a police `AreaIndex` the LSOA pairs earlier builds kept under ``key``.

        The state file (``index/<key>.state``) is a series of chunks, each an
        `AreaIndex.state()` with its own checksum: the first written by a build,
        the next ones appended by later builds that placed new pairs. Once per build
        and key; an unusable chunk is noted and ignored with the chunks after it
        (the index then learns those LSOAs again, and the file is written anew at
        the end of the build, `finish()`).
        """
        if key in self._indexes:
            return
        path = self.root / "index" / f"{key}.state"
        chunks, ok = 0, True
        try:
            data = path.read_bytes()
        except OSError:
            data, ok = b"", False
        try:
            for state in iter_state_chunks(data):
                with gc_paused():
                    index.load_state(state)  # type: ignore[attr-defined]
                chunks += 1
        except Exception as exc:  # noqa: BLE001 (any failure: the rest is not used)
            self.notes.append(f"cached LSOA index of {table} ignored ({type(exc).__name__}:"
                              f" {exc}); its LSOAs were placed again")
            ok = False
        self._indexes[key] = (index, index.pair_count, chunks if ok else -1)  # type: ignore[attr-defined]

    def _write_indexes(self) -> None:
        """Keep what each police index learnt in this build (`load_index()`).

        New pairs are appended as one more chunk; the file is written anew when it
        was unusable or missing, or holds 16 chunks.
        """
        for key, (index, count, chunks) in self._indexes.items():
            path = self.root / "index" / f"{key}.state"
            if 0 < chunks < 16 and index.pair_count == count:  # type: ignore[attr-defined]
                continue
            fresh = not 0 < chunks < 16
            chunk = state_chunk(index.state(0 if fresh else count))  # type: ignore[attr-defined]
            if fresh:
                write_bytes(path, chunk)
            else:
                with open(path, "ab") as fh:
                    fh.write(chunk)
        folder = self.root / "index"
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if p.name.removesuffix(".state") not in self._indexes:
                    p.unlink(missing_ok=True)

    def entry_key(self, scope: ScopedCache, path: Path, label: str, *,
                  known_only: bool = False) -> str | None:
        """Return the key of an input's entry (see the module docstring).

        With ``known_only``, ``None`` for a file whose stat changed (not read here).
        """
        sha = self.file_sha256(path, known_only=known_only)
        if sha is None:
            return None
        key = entry_key_of(scope.salt, label, sha)
        scope.labels[key] = label
        return key

    # ------------------------------------------------------------------ tables
    def _table_paths(self, stem: str) -> tuple[Path, Path]:
        return self.root / "tables" / f"{stem}.json", self.root / "tables" / f"{stem}.kept"

    def table_record(self, stem: str, origin: str, chunk_rows: int) -> TableRecord | None:
        """Return the previous build's kept table ``stem``, if it can be reused."""
        self._tables.add(stem)
        meta_p, data_p = self._table_paths(stem)
        try:
            meta = json.loads(meta_p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("fingerprint") != code_fingerprint("tables") or meta.get("origin") != origin \
                or meta.get("chunk_rows") != chunk_rows:
            return None
        try:
            data = data_p.read_bytes()
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise ValueError("checksum mismatch")
            parts = read_parts(data)
            if len(parts.spans) != len(meta["tokens"]):
                raise ValueError("row groups do not match the record")
        except (OSError, ValueError, KeyError, SpliceError) as exc:
            self.notes.append(f"cached table {stem} ignored ({exc}); its rows were "
                              "written again")
            return None
        return TableRecord(parts, meta["tokens"], meta["rows"])

    def save_table(self, stem: str, path: Path, origin: str, chunk_rows: int,
                   tokens: list[str | None], rows: list[int], sha256: str) -> None:
        """Keep a written kept table and its row-group identities for the next build."""
        self._tables.add(stem)
        meta_p, data_p = self._table_paths(stem)
        data_p.parent.mkdir(parents=True, exist_ok=True)
        tmp = data_p.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
        os.replace(tmp, data_p)
        write_text(meta_p, json.dumps({
            "fingerprint": code_fingerprint("tables"), "origin": origin, "chunk_rows": chunk_rows,
            "sha256": sha256, "tokens": tokens, "rows": rows}))

    # ------------------------------------------------------------------ the end
    def finish(self) -> None:
        """Write each table's pack, save the hashes, and remove what this build did not use.

        Also writes `LAST_BUILD` (`summary()`).
        """
        for sc in self._scopes.values():
            try:
                sc.write_pack()
            except OSError as exc:
                self.notes.append(f"cache pack of {sc.table} not written ({exc})")
                sc.pack_path.unlink(missing_ok=True)
        try:
            self._write_indexes()
        except OSError as exc:
            self.notes.append(f"cached LSOA index not written ({exc})")
        shutil.rmtree(self.root / "entries", ignore_errors=True)  # gathered into packs
        packs = self.root / "packs"
        if packs.is_dir():
            for p in sorted(packs.iterdir()):
                if p.name.removesuffix(".pack") not in self._scopes:
                    p.unlink(missing_ok=True)
        tdir = self.root / "tables"
        if tdir.is_dir():
            for p in sorted(tdir.iterdir()):
                if p.stem not in self._tables:
                    p.unlink(missing_ok=True)
        write_text(self.root / _HASHES, json.dumps(self._used_hashes, sort_keys=True))
        write_text(self.root / LAST_BUILD, json.dumps(self.summary(), indent=2) + "\n")

    def inputs_read(self) -> dict[str, int]:
        """Return, per table, the number of inputs read (not taken from the cache)."""
        out: dict[str, int] = {}
        for sc in self._scopes.values():
            n = sum(k not in sc.hits and k not in sc.derived for k in sc.labels)
            if n:
                out[sc.table] = out.get(sc.table, 0) + n
        return dict(sorted(out.items()))

    def summary(self) -> dict:
        """Return what the cache gave this build: which inputs were reused or read.

        Written to `LAST_BUILD` in the cache folder (never to the manifest, which does
        not depend on the cache).
        """
        return {
            "folder": CACHE_DIR,
            "inputs_from_cache": {t: sorted(set(v)) for t, v in sorted(self.reused.items())},
            "inputs_read": self.inputs_read(),
            "row_groups_copied": {t: f"{a} of {b}" for t, (a, b) in
                                  sorted(self.row_groups.items())},
            "notes": list(self.notes),
        }


class _PackBroken(ValueError):
    """The pack's geo table or maps are unusable (noted once, not per entry)."""


class ScopedCache:
    """The entries of one table's inputs (a `lvrn_analysis.sources.police.cached.ResultCache`).

    Entries come from the table's pack (``packs/<salt>.pack``) or, for inputs read by
    a build that did not finish, from ``entries/``; new entries are written to
    ``entries/`` and gathered into the pack by `write_pack()`. Picklable: worker
    processes get the folder and salt only, which is all `store()` needs.
    """

    def __init__(self, root: Path, salt: str, table: str, owner: BuildCache | None) -> None:
        self.root = Path(root)
        self.salt = salt
        self.table = table
        self.owner = owner
        #: key → input label, for the keys made in this build
        self.labels: dict[str, str] = {}
        #: key → (entry bytes, SHA-256, geo maps in the pack's table) of entries used
        self.hits: dict[str, tuple[memoryview, str, list[np.ndarray] | None]] = {}
        self._pack: Pack | None = None
        self._opened = False
        self._geo: list | None = None
        self._maps: np.ndarray | None = None
        self._geo_ok: bool | None = None
        #: keys of entries made from other entries (finished months), not inputs
        self.derived: set[str] = set()
        #: key of the police index state kept for this scope's area and code
        self.index_key = ""
        #: geo map spans of the entries kept without decoding (`keep()`)
        self._kept: dict[str, list] = {}

    def __getstate__(self) -> dict:
        return {"root": self.root, "salt": self.salt, "table": self.table}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["root"], state["salt"], state["table"], None)  # type: ignore[misc]

    @property
    def pack_path(self) -> Path:
        """The table's pack file."""
        return self.root / "packs" / f"{self.salt}.pack"

    def _entry_path(self, key: str) -> Path:
        return self.root / "entries" / key[:2] / f"{key}.entry"

    def _note(self, text: str) -> None:
        if self.owner is not None:
            self.owner.notes.append(text)

    def _open(self) -> Pack | None:
        if not self._opened:
            self._opened = True
            if self.pack_path.is_file():
                try:
                    self._pack = read_pack(self.pack_path)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    self._note(f"cache pack of {self.table} ignored and deleted "
                               f"({type(exc).__name__}: {exc}); its inputs were read again")
                    self.pack_path.unlink(missing_ok=True)
        return self._pack

    def load_index(self, index: object) -> None:
        """Give a police `AreaIndex` what an earlier build's learnt (`BuildCache.load_index()`)."""
        if self.owner is not None and self.index_key:
            self.owner.load_index(self.index_key, index, self.table)

    def key(self, path: Path, label: str) -> str | None:
        """Return the key of an input's entry."""
        assert self.owner is not None, "keys are made in the building process"
        return self.owner.entry_key(self, Path(path), label)

    def known_key(self, path: Path, label: str) -> str | None:
        """`key()` if the file's SHA-256 is known from its unchanged stat, else ``None``.

        The file is then hashed by the process that reads it (`key_of()`), and the
        key given back here with `adopt()`.
        """
        assert self.owner is not None, "keys are made in the building process"
        return self.owner.entry_key(self, Path(path), label, known_only=True)

    def key_of(self, label: str, sha: str) -> str:
        """Return the key of an input with this label and SHA-256 (in any process)."""
        return entry_key_of(self.salt, label, sha)

    def adopt(self, path: Path, label: str, sha: str) -> str:
        """Record the SHA-256 another process computed for a `known_key()` miss; return its key."""
        assert self.owner is not None, "keys are made in the building process"
        self.owner.adopt_sha256(path, sha)
        key = self.key_of(label, sha)
        self.labels[key] = label
        return key

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key`` (`load()` may still find it unusable)."""
        pack = self._open()
        return (pack is not None and key in pack.entries) or self._entry_path(key).is_file()

    def load(self, key: str) -> object | None:
        """Return the entry stored under ``key``, or ``None`` (missing or unusable).

        An entry that is truncated, altered or holds disallowed classes is noted and
        dropped from the cache; the input is then read again.
        """
        label = self.labels.get(key, key)
        pack = self._open()
        obj = None
        if pack is not None and key in pack.entries:
            try:
                obj = self._load_packed(pack, key)
            except _PackBroken:
                obj = None
            except Exception as exc:  # noqa: BLE001 (any failure: the entry is not used)
                self._note(f"cache entry for {label} ({self.table}) ignored and deleted "
                           f"({type(exc).__name__}: {exc}); the file was read again")
                obj = None
            if obj is None:
                del pack.entries[key]
        if obj is None:
            obj = self._load_loose(key, label)
        if obj is not None and self.owner is not None:
            self.owner.reused.setdefault(self.table, []).append(label)
        return obj

    def _load_packed(self, pack: Pack, key: str) -> object:
        off, n, sha, spans = pack.entries[key]
        blob = pack.view([off, n])
        if sha256_bytes(blob) != sha:
            raise ValueError("checksum mismatch")
        obj = decode(blob)
        maps = None
        if spans is not None:
            table, allmaps = self._geo_table(pack)
            if any(not 0 <= a <= b <= len(allmaps) for a, b in spans):
                raise ValueError("geo map out of range")
            maps = [allmaps[a:b] for a, b in spans]
            join_geo(obj, table, maps)  # type: ignore[arg-type]
        self.hits[key] = (blob, sha, maps)
        return obj

    def _geo_table(self, pack: Pack) -> tuple[list, np.ndarray]:
        """Return the pack's geo records and maps, checked once."""
        if self._geo_ok is None:
            try:
                for span in (*pack.geo, *pack.maps):
                    if sha256_bytes(pack.view(span)) != span[2]:
                        raise ValueError("checksum mismatch")
                geo, maps = pack.records(), pack.map_array()
                if maps.size and not (0 <= int(maps.min()) and int(maps.max()) < len(geo)):
                    raise ValueError("geo maps out of range")
                self._geo, self._maps, self._geo_ok = geo, maps, True
            except Exception as exc:  # noqa: BLE001
                self._geo_ok = False
                self._note(f"geo table of the cache pack of {self.table} ignored "
                           f"({type(exc).__name__}: {exc}); its police inputs were read again")
        if not self._geo_ok:
            raise _PackBroken("geo table unusable")
        return self._geo, self._maps  # type: ignore[return-value]

    def _read_loose(self, key: str) -> tuple[bytes, object] | None:
        """Return an entry file's stored bytes and object (``None``: no such file)."""
        try:
            data = self._entry_path(key).read_bytes()
        except OSError:
            return None
        head = len(ENTRY_MAGIC)
        if data[:head] != ENTRY_MAGIC:
            raise ValueError("not a cache entry")
        blob = memoryview(data)[head + 65:]
        if sha256_bytes(blob) != data[head:head + 64].decode("ascii", "replace"):
            raise ValueError("checksum mismatch")
        return data, decode(blob)

    def _load_loose(self, key: str, label: str) -> object | None:
        try:
            got = self._read_loose(key)
        except Exception as exc:  # noqa: BLE001 (any failure: the entry is not used)
            self._note(f"cache entry for {label} ({self.table}) ignored and deleted "
                       f"({type(exc).__name__}: {exc}); the file was read again")
            self._entry_path(key).unlink(missing_ok=True)
            return None
        return None if got is None else got[1]

    def keep(self, key: str) -> bool:
        """Keep a packed entry for the next build without decoding it.

        Its checksum is not computed here: the bytes are kept with the checksum they
        were stored with, and checked whenever a build decodes them (`load()`), so a
        damaged entry is still never used. Returns False (the entry is then loaded or
        read as usual) if the entry is not in the pack.
        """
        pack = self._open()
        if pack is None or key not in pack.entries:
            return False
        if key in self.hits:
            return True
        off, n, sha, spans = pack.entries[key]
        try:
            blob = pack.view([off, n])
        except ValueError as exc:
            self._note(f"cache entry for {self.labels.get(key, key)} ({self.table}) ignored "
                       f"and deleted ({exc}); the file was read again")
            del pack.entries[key]
            return False
        self.hits[key] = (blob, sha, None)
        if spans is not None:
            self._kept[key] = spans
        if self.owner is not None:
            self.owner.reused.setdefault(self.table, []).append(self.labels.get(key, key))
        return True

    def load_month(self, key: str, inputs: list[str], label: str) -> object | None:
        """Return a finished month's entry if it and every input entry it was made of are usable.

        The inputs' entries are kept for the next build (`keep()`) but not decoded.
        """
        self.labels[key] = label
        self.derived.add(key)
        pack = self._open()
        if pack is None or key not in pack.entries:
            return None
        try:
            obj = self._load_packed(pack, key)
        except Exception as exc:  # noqa: BLE001 (any failure: the entry is not used)
            self._note(f"cache entry for {label} ({self.table}) ignored and deleted "
                       f"({type(exc).__name__}: {exc}); its files were used one by one")
            del pack.entries[key]
            return None
        if not all(self.keep(k) for k in inputs):
            return None
        return obj

    def store_month(self, key: str, entry: object, label: str) -> None:
        """Store a finished month's entry (kept in the pack, never counted as an input)."""
        self.labels[key] = label
        self.derived.add(key)
        if key not in self.hits:
            self.store(key, entry)

    def store(self, key: str, entry: object) -> None:
        """Write an entry file (atomically: a reader sees the whole entry or none)."""
        blob = encode(entry)
        path = self._entry_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(ENTRY_MAGIC + sha256_bytes(blob).encode("ascii") + b"\n")
            fh.write(blob)
        os.replace(tmp, path)

    def write_pack(self) -> None:
        """Write the pack of this build's entries: those used, and those of inputs read.

        When every entry of the previous pack was used, the entries of the inputs
        read are appended to it (`append_pack()`), with their geo records in a new
        section; otherwise the pack is written anew: entries taken from the previous
        pack keep their bytes, and the geo table keeps each record still referred to
        once, then those of the new entries.
        """
        keys = sorted(self.labels)
        pack = self._pack
        new_keys = [k for k in keys if k not in self.hits]
        if pack is not None and pack.keys0 <= self.hits.keys() \
                and 4 * (pack.dead + pack.tail) <= len(pack.data):
            new = self._new_entries(new_keys, {}, pack.geo_count(), pack.map_count())
            if new is None:
                return  # nothing new: the pack is the same
            if append_pack(self.pack_path, pack, *new):
                return
        kept: list[tuple[str, object, str, list | None]] = []
        for k in keys:
            if k not in self.hits:
                continue
            blob, sha, maps = self.hits[k]
            if k in self._kept:
                try:
                    _, allmaps = self._geo_table(pack)  # type: ignore[arg-type]
                except _PackBroken:
                    continue
                spans = self._kept[k]
                if any(not 0 <= a <= b <= len(allmaps) for a, b in spans):
                    continue  # damaged: left out (its input is read next time)
                maps = [allmaps[a:b] for a, b in spans]
            kept.append((k, blob, sha, maps))
        # the records still referred to, each once, in the order of their old ids
        old = [m for *_, maps in kept for m in (maps or [])]
        used = np.unique(np.concatenate(old)) if old else np.zeros(0, np.int64)
        remap = np.zeros(int(used[-1]) + 1 if len(used) else 0, dtype=np.int32)
        table: list = []
        pos: dict = {}
        for g in used.tolist():
            r = self._geo[g]  # type: ignore[index]
            i = pos.get(r)
            if i is None:
                i = pos[r] = len(table)
                table.append(r)
            remap[g] = i
        parts: list[np.ndarray] = []
        out: list[tuple[str, object, str, list | None]] = []
        at = 0
        for k, blob, sha, maps in kept:
            spans = None
            if maps is not None:
                spans = []
                for m in maps:
                    parts.append(remap[m])
                    spans.append([at, at + len(m)])
                    at += len(m)
            out.append((k, blob, sha, spans))
        made = self._new_entries(new_keys, pos, len(table), at)
        if made is not None:
            out += made[0]
            table = table + made[1]
            parts.append(made[2])
        if not out:
            self.pack_path.unlink(missing_ok=True)
            return
        maps_all = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        write_pack(self.pack_path, out, table, maps_all)

    def _new_entries(self, keys: list[str], pos: dict, base: int, at: int
                     ) -> tuple[list[tuple[str, object, str, list | None]], list,
                                np.ndarray] | None:
        """Gather the entry files of ``keys`` for a pack.

        ``pos`` gives the ids of records already in the pack's table (it is updated);
        other records get ids from ``base`` on, and the entries' geo maps start at
        position ``at`` of the pack's maps. Returns the entries, the new records and
        the new maps, or ``None`` if there is no entry file.
        """
        records: list = []
        parts: list[np.ndarray] = []
        out: list[tuple[str, object, str, list | None]] = []
        for k in keys:
            try:
                got = self._read_loose(k)
            except Exception:  # noqa: BLE001 (unusable: the input is read next time)
                got = None
            if got is None:
                continue
            data, obj = got
            recs = split_geo(obj)
            if recs is None:
                out.append((k, memoryview(data)[len(ENTRY_MAGIC) + 65:],
                            data[len(ENTRY_MAGIC):len(ENTRY_MAGIC) + 64].decode("ascii"), None))
                continue
            spans = []
            for rs in recs:
                idx = []
                for r in rs:
                    i = pos.get(r)
                    if i is None:
                        i = pos[r] = base + len(records)
                        records.append(r)
                    idx.append(i)
                parts.append(np.array(idx, dtype=np.int32))
                spans.append([at, at + len(idx)])
                at += len(idx)
            blob = encode(obj)
            out.append((k, blob, sha256_bytes(blob), spans))
        if not out:
            return None
        return out, records, (np.concatenate(parts) if parts else np.zeros(0, np.int32))


def entry_key_of(salt: str, label: str, sha: str) -> str:
    """Return the entry key of an input: its scope's salt, label and SHA-256, hashed."""
    return hashlib.sha256(f"{salt}\n{label}\n{sha}".encode()).hexdigest()
