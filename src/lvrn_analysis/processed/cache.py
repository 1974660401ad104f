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
police tables with an identity per row group (`TableRecord`), so that an
incremental build copies the unchanged row groups instead of encoding them again
(`lvrn_analysis.processed.splice`).

Hashing every input on every build would cost more than the rest of an incremental
build (4.6 GB of national files take about 3 s), so, as ``git`` and ``make`` do, a
file's SHA-256 is remembered with its size, modification time (ns), inode and
change time, and computed again only when one of them differs. ``lvrn build
--no-cache`` reads and writes no cache at all.

Each table's entries are kept in one *pack* file (``packs/<scope>.pack``), written
at the end of every build with the entries that build used: those taken from the
previous pack (their bytes copied) and those of the inputs it read (written one per
file meanwhile, by whichever process read the input, under ``entries/``, and
gathered into the pack). Police entries keep their geo records (authority, LSOA,
status) in one table per pack rather than once per file, so the next build places
each record in its area index once (`lvrn_analysis.sources.police.cached`).

Monthly police files read in month order are also kept as *finished months*: once a
month's files are resolved together (superseded force-months, kept blocks), its
accounting records, kept (force, month) pairs, quarantine and the identities of its
kept blocks are stored under a key made of the month's file keys
(`lvrn_analysis.sources.police.cached.month_key()`), so that the next build takes
the month whole (`ScopedCache.load_month()`) and keeps its files' entries without
decoding them (`ScopedCache.keep()`, checksums still checked); a month entry is never
counted as an input.

Entries are read back with a restricted unpickler (NumPy, pandas, pyarrow and this
package's result classes only) after their own SHA-256 is checked (the pack's
header, geo table and geo maps have theirs too); an entry that fails either check
is ignored, left out of the next pack and named in the build's notes, and the
input is read again. Entries and packs not used by a build are removed at its end.
What the cache gave a build is written to ``last-build.json`` in the cache folder
(and summed up by ``lvrn build``), not to the manifest, which is the same with or
without the cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import lvrn_analysis
from lvrn_analysis.processed.splice import ParquetParts, SpliceError, read_parts
from lvrn_analysis.sources.police.cached import join_geo, split_geo

__all__ = ["CACHE_DIR", "LAST_BUILD", "BuildCache", "ScopedCache", "TableRecord",
           "code_fingerprint", "read_pack"]

#: Folder of the cache inside the processed folder.
CACHE_DIR = ".cache"

_MAGIC = b"LVRN-CACHE-2\n"  # an entry file (entries/)
_PACK_MAGIC = b"LVRN-CACHE-PACK-2\n"  # a pack (packs/)
_HASHES = "hashes.json"
#: What the cache gave the last build (`BuildCache.summary()`).
LAST_BUILD = "last-build.json"
_ALIGN = 64

#: Modules (by prefix) whose classes an entry may contain.
_SAFE_MODULES = ("numpy", "pandas", "pyarrow", "lvrn_analysis.sources.", "collections",
                 "datetime", "copyreg", "_codecs", "zoneinfo", "dateutil", "pytz")
_SAFE_BUILTINS = {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
                  "int", "float", "complex", "bool", "slice", "range", "object", "NoneType"}


class _Unpickler(pickle.Unpickler):
    """Unpickles only the classes cache entries are made of."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins":
            if name in _SAFE_BUILTINS:
                return super().find_class(module, name)
        elif module.startswith(_SAFE_MODULES) and not module.startswith(
                ("numpy.f2py", "numpy.testing", "numpy.distutils")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _encode(obj: object) -> bytes:
    """Return an entry's stored bytes (a pickle)."""
    return pickle.dumps(obj, protocol=5)


def _decode(blob: memoryview) -> object:
    """Return the object `_encode()` stored, with the restricted unpickler."""
    return _Unpickler(io.BytesIO(blob)).load()


def _sha(data: object) -> str:
    return hashlib.sha256(data).hexdigest()  # type: ignore[arg-type]


@dataclass
class _Pack:
    """A pack file read into memory: its header, geo table, geo maps and entries."""

    data: bytes
    entries: dict[str, list]
    base: int
    geo: list
    maps: list

    def view(self, span: list) -> memoryview:
        off, n = span[0], span[1]
        if self.base + off + n > len(self.data):
            raise ValueError("section out of range")
        return memoryview(self.data)[self.base + off:self.base + off + n]


def read_pack(path: Path) -> _Pack:
    """Read a pack file and check its header (entries are checked when loaded).

    Raises
    ------
    OSError, ValueError
        If the file cannot be read or is not a pack with an intact header.
    """
    data = Path(path).read_bytes()
    head = len(_PACK_MAGIC)
    if data[:head] != _PACK_MAGIC:
        raise ValueError("not a cache pack")
    (hlen,) = struct.unpack_from("<Q", data, head)
    digest = bytes(data[head + 8:head + 72]).decode("ascii", "replace")
    header = bytes(data[head + 72:head + 72 + hlen])
    if len(header) != hlen or _sha(header) != digest:
        raise ValueError("header checksum mismatch")
    meta = json.loads(header)
    return _Pack(data, meta["entries"], _align(head + 72 + hlen), meta["geo"], meta["maps"])


def _write_pack(path: Path, entries: list[tuple[str, object, str, list | None]],
                geo: list, maps: np.ndarray) -> None:
    """Write a pack: ``entries`` are ``(key, blob, sha256, [[start, stop], ...] or None)``."""
    geo_b = pickle.dumps(geo, protocol=5)
    maps_b = np.ascontiguousarray(maps, dtype="<i4").tobytes()
    pos = 0
    layout: dict[str, list] = {}
    spans = []
    for blob in (geo_b, maps_b):
        spans.append([pos, len(blob), _sha(blob)])
        pos = _align(pos + len(blob))
    for key, blob, sha, m in entries:
        n = len(blob)  # type: ignore[arg-type]
        layout[key] = [pos, n, sha, m]
        pos = _align(pos + n)
    header = json.dumps({"geo": spans[0], "maps": spans[1], "entries": layout},
                        separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    base = _align(len(_PACK_MAGIC) + 72 + len(header))
    with open(tmp, "wb") as fh:
        fh.write(_PACK_MAGIC + struct.pack("<Q", len(header)) + _sha(header).encode("ascii")
                 + header)
        at = len(_PACK_MAGIC) + 72 + len(header)
        for off, blob in [(spans[0][0], geo_b), (spans[1][0], maps_b)] + [
                (layout[k][0], b) for k, b, _, _ in entries]:
            fh.write(b"\0" * (base + off - at))
            fh.write(blob)  # type: ignore[arg-type]
            at = base + off + len(blob)  # type: ignore[arg-type]
    os.replace(tmp, path)


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
class TableRecord:
    """The kept police table of the previous build, for reusing its row groups.

    Attributes
    ----------
    parts
        The file's bytes, footer and row-group byte ranges.
    tokens
        Per row group, the identity of its rows (``None``: not reusable).
    rows
        Rows per row group.
    """

    parts: ParquetParts
    tokens: list[str | None]
    rows: list[int]

    def index(self) -> dict[str, int]:
        """Return row-group position by token."""
        return {t: i for i, t in enumerate(self.tokens) if t is not None}


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

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        try:
            self._hashes = json.loads((self.root / _HASHES).read_text(encoding="utf-8"))
            if not isinstance(self._hashes, dict):
                self._hashes = {}
        except (OSError, ValueError):
            self._hashes = {}
        self._used_hashes: dict[str, list] = {}

    # ------------------------------------------------------------------ inputs
    def file_sha256(self, path: Path | str) -> str:
        """Return the SHA-256 of a file's bytes, from memory if its stat is unchanged."""
        p = os.path.abspath(path)
        st = os.stat(p)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        known = self._hashes.get(p)
        if known is not None and known[:4] == stamp:
            sha = known[4]
        else:
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 22), b""):
                    h.update(chunk)
            sha = h.hexdigest()
        self._used_hashes[p] = [*stamp, sha]
        return sha

    def scope(self, table: str, salt: str, kind: str = "sources") -> ScopedCache:
        """Return the cache for one table's inputs (one pack).

        ``salt`` is the area's configuration; ``kind`` names the code the results
        depend on (`CODE`).
        """
        key = hashlib.sha256(f"{code_fingerprint(kind)}\n{table}\n{salt}".encode()).hexdigest()
        if key not in self._scopes:
            self._scopes[key] = ScopedCache(self.root, key, table, self)
        return self._scopes[key]

    def entry_key(self, scope: ScopedCache, path: Path, label: str) -> str:
        """Return the key of an input's entry (see the module docstring)."""
        key = hashlib.sha256(f"{scope.salt}\n{label}\n{self.file_sha256(path)}".encode()
                             ).hexdigest()
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
        _write_text(meta_p, json.dumps({
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
        _write_text(self.root / _HASHES, json.dumps(self._used_hashes, sort_keys=True))
        _write_text(self.root / LAST_BUILD, json.dumps(self.summary(), indent=2) + "\n")

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
        self._pack: _Pack | None = None
        self._opened = False
        self._geo: list | None = None
        self._maps: np.ndarray | None = None
        self._geo_ok: bool | None = None
        #: keys of entries made from other entries (finished months), not inputs
        self.derived: set[str] = set()

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

    def _open(self) -> _Pack | None:
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

    def key(self, path: Path, label: str) -> str | None:
        """Return the key of an input's entry."""
        assert self.owner is not None, "keys are made in the building process"
        return self.owner.entry_key(self, Path(path), label)

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

    def _load_packed(self, pack: _Pack, key: str) -> object:
        off, n, sha, spans = pack.entries[key]
        blob = pack.view([off, n])
        if _sha(blob) != sha:
            raise ValueError("checksum mismatch")
        obj = _decode(blob)
        maps = None
        if spans is not None:
            table, allmaps = self._geo_table(pack)
            if any(not 0 <= a <= b <= len(allmaps) for a, b in spans):
                raise ValueError("geo map out of range")
            maps = [allmaps[a:b] for a, b in spans]
            join_geo(obj, table, maps)  # type: ignore[arg-type]
        self.hits[key] = (blob, sha, maps)
        return obj

    def _geo_table(self, pack: _Pack) -> tuple[list, np.ndarray]:
        """Return the pack's geo records and maps, checked once."""
        if self._geo_ok is None:
            try:
                g, m = pack.view(pack.geo), pack.view(pack.maps)
                if _sha(g) != pack.geo[2] or _sha(m) != pack.maps[2]:
                    raise ValueError("checksum mismatch")
                geo = _Unpickler(io.BytesIO(g)).load()
                maps = np.frombuffer(m, dtype="<i4")
                if not isinstance(geo, list) or (maps.size and not (
                        0 <= int(maps.min()) and int(maps.max()) < len(geo))):
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
        head = len(_MAGIC)
        if data[:head] != _MAGIC:
            raise ValueError("not a cache entry")
        blob = memoryview(data)[head + 65:]
        if _sha(blob) != data[head:head + 64].decode("ascii", "replace"):
            raise ValueError("checksum mismatch")
        return data, _decode(blob)

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
        """Keep a packed entry for the next build without decoding it (its checksum is checked).

        Returns False (the entry is then loaded or read as usual) if the entry is not
        in the pack; a corrupted entry is also noted and dropped, like in `load()`.
        """
        pack = self._open()
        if pack is None or key not in pack.entries:
            return False
        if key in self.hits:
            return True
        label = self.labels.get(key, key)
        off, n, sha, spans = pack.entries[key]
        try:
            blob = pack.view([off, n])
            if _sha(blob) != sha:
                raise ValueError("checksum mismatch")
            maps = None
            if spans is not None:
                _, allmaps = self._geo_table(pack)
                if any(not 0 <= a <= b <= len(allmaps) for a, b in spans):
                    raise ValueError("geo map out of range")
                maps = [allmaps[a:b] for a, b in spans]
        except _PackBroken:
            return False
        except Exception as exc:  # noqa: BLE001 (any failure: the entry is not used)
            self._note(f"cache entry for {label} ({self.table}) ignored and deleted "
                       f"({type(exc).__name__}: {exc}); the file was read again")
            del pack.entries[key]
            return False
        self.hits[key] = (blob, sha, maps)
        if self.owner is not None:
            self.owner.reused.setdefault(self.table, []).append(label)
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
        blob = _encode(entry)
        path = self._entry_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(_MAGIC + _sha(blob).encode("ascii") + b"\n")
            fh.write(blob)
        os.replace(tmp, path)

    def write_pack(self) -> None:
        """Write the pack of this build's entries: those used, and those of inputs read.

        Entries taken from the previous pack keep their bytes; the geo table keeps
        the records still referred to, then those of the new police entries.
        """
        keys = sorted(self.labels)
        maps_old = [m for k in keys if k in self.hits for m in (self.hits[k][2] or [])]
        used = np.unique(np.concatenate(maps_old)) if maps_old else np.zeros(0, np.int32)
        table = [self._geo[i] for i in used.tolist()] if len(used) else []  # type: ignore[index]
        pos = {r: i for i, r in enumerate(table)}
        parts: list[np.ndarray] = []
        at = 0
        out: list[tuple[str, object, str, list | None]] = []

        def spans_of(arrays: list[np.ndarray]) -> list:
            nonlocal at
            spans = []
            for a in arrays:
                parts.append(a.astype(np.int32))
                spans.append([at, at + len(a)])
                at += len(a)
            return spans

        for k in keys:
            if k in self.hits:
                blob, sha, maps = self.hits[k]
                out.append((k, blob, sha, None if maps is None else spans_of(
                    [np.searchsorted(used, m) for m in maps])))
                continue
            try:
                got = self._read_loose(k)
            except Exception:  # noqa: BLE001 (unusable: the input is read next time)
                got = None
            if got is None:
                continue
            data, obj = got
            recs = split_geo(obj)
            if recs is None:
                out.append((k, memoryview(data)[len(_MAGIC) + 65:],
                            data[len(_MAGIC):len(_MAGIC) + 64].decode("ascii"), None))
                continue
            arrays = []
            for rs in recs:
                idx = []
                for r in rs:
                    i = pos.get(r)
                    if i is None:
                        i = pos[r] = len(table)
                        table.append(r)
                    idx.append(i)
                arrays.append(np.array(idx, dtype=np.int32))
            blob = _encode(obj)
            out.append((k, blob, _sha(blob), spans_of(arrays)))
        if not out:
            self.pack_path.unlink(missing_ok=True)
            return
        maps = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        _write_pack(self.pack_path, out, table, maps)


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
