"""The cache's files: entries, packs and their checksums (`lvrn_analysis.processed.cache`).

* An *entry file* (``entries/<key>.entry``): `ENTRY_MAGIC`, the SHA-256 of the
  pickle, a newline, the pickle (`encode()`; read back by `decode()`).
* A *pack* (``packs/<scope>.pack``): `PACK_MAGIC`, then sections (a geo table, geo
  maps, entries) at 64-byte boundaries, then the *index* (JSON: each section's
  offset, length and SHA-256, and per entry its geo map spans) and a trailer
  (`TRAILER` bytes: the index's length and SHA-256 and `PACK_END`). Because the
  index comes last, sections and a new index can be appended (`append_pack()`),
  the old index then lying unread in the file (counted as ``dead``).
* A police index *state* (``index/<key>.state``): chunks of `INDEX_MAGIC`, the
  pickle's length and SHA-256, and the pickle.

Pickles are read with a restricted unpickler (`Unpickler`) that accepts only
NumPy, pandas, pyarrow and this package's source classes.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import mmap
import os
import pickle
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lvrn_analysis.sources.validation import sha256_bytes

ENTRY_MAGIC = b"LVRN-CACHE-2\n"  # an entry file (entries/)
PACK_MAGIC = b"LVRN-CACHE-PACK-3\n"  # a pack (packs/) starts with this ...
PACK_END = b"\nLVRN-CACHE-PACK-END\n"  # ... and ends with its index's length, SHA-256, this
TRAILER = 8 + 64 + len(PACK_END)
INDEX_MAGIC = b"LVRN-CACHE-INDEX-1\n"  # a police index's state (index/)
_ALIGN = 64

#: Modules (by prefix) whose classes an entry may contain.
_SAFE_MODULES = ("numpy", "pandas", "pyarrow", "lvrn_analysis.sources.", "collections",
                 "datetime", "copyreg", "_codecs", "zoneinfo", "dateutil", "pytz")
_SAFE_BUILTINS = {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
                  "int", "float", "complex", "bool", "slice", "range", "object", "NoneType"}


class Unpickler(pickle.Unpickler):
    """Unpickles only the classes cache entries are made of."""

    def find_class(self, module: str, name: str) -> object:
        """Return the class ``module.name`` if entries may contain it (else raise)."""
        if module == "builtins":
            if name in _SAFE_BUILTINS:
                return super().find_class(module, name)
        elif module.startswith(_SAFE_MODULES) and not module.startswith(
                ("numpy.f2py", "numpy.testing", "numpy.distutils")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def encode(obj: object) -> bytes:
    """Return an entry's stored bytes (a pickle)."""
    return pickle.dumps(obj, protocol=5)


def decode(blob: memoryview) -> object:
    """Return the object `encode()` stored, with the restricted unpickler."""
    with gc_paused():
        return Unpickler(io.BytesIO(blob)).load()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (while cached results are unpacked).

    Unpacking creates many lists, dicts and tuples and no garbage; with a large heap
    (a national build holds tens of thousands of LSOA records) the collections those
    allocations trigger walk the heap again and again for nothing: about a tenth of
    an incremental build's time (``benchmarks/ingest.py --incremental``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Pack:
    """A pack file, mapped into memory (or read): its index (footer) and bytes.

    Offsets are from the start of the file. ``geo`` and ``maps`` list the sections
    (offset, length, SHA-256; and for ``geo`` the number of records) whose
    concatenation is the geo table (pickled lists of records; a record may appear
    in more than one section) and the geo maps (little-endian int32); ``dead``
    counts the bytes of superseded indexes, ``tail`` those of the current index and
    trailer.
    """

    data: bytes | mmap.mmap
    entries: dict[str, list]
    geo: list[list]
    maps: list[list]
    dead: int = 0
    tail: int = 0
    base: int = 0

    def __post_init__(self) -> None:
        self.keys0 = frozenset(self.entries)  # the entries the index listed when read

    def view(self, span: list) -> memoryview:
        """Return the bytes of a section ``[offset, length, ...]`` (checked to be in the file)."""
        off, n = span[0], span[1]
        if not 0 <= self.base + off <= self.base + off + n <= len(self.data):
            raise ValueError("section out of range")
        return memoryview(self.data)[self.base + off:self.base + off + n]

    def records(self) -> list:
        """Return the geo table (no checksum checked: `ScopedCache` checks them)."""
        return [r for span in self.geo for r in Unpickler(io.BytesIO(self.view(span))).load()]

    def geo_count(self) -> int:
        """Return the number of geo records (without reading them)."""
        return sum(int(span[3]) for span in self.geo)

    def map_count(self) -> int:
        """Return the number of geo map positions (without reading them)."""
        return sum(int(span[1]) // 4 for span in self.maps)

    def map_array(self) -> np.ndarray:
        """Return the geo maps (no checksum checked)."""
        parts = [np.frombuffer(self.view(span), dtype="<i4") for span in self.maps]
        return np.concatenate(parts) if parts else np.zeros(0, dtype="<i4")


def read_pack(path: Path) -> Pack:
    """Read a pack file and check its index (entries are checked when loaded).

    Raises
    ------
    OSError, ValueError
        If the file cannot be read or is not a pack with an intact index.
    """
    if os.name != "posix":
        return read_pack_bytes(Path(path).read_bytes())
    # mapped, not read: an update touches only the entries it decodes (a few of a
    # national pack's 45 MB). Packs are replaced or appended to, never rewritten in
    # place, so the mapped bytes do not change under the build.
    with open(path, "rb") as fh:
        if not os.fstat(fh.fileno()).st_size:
            raise ValueError("not a cache pack, or an unfinished one")
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return read_pack_bytes(data)


def read_pack_bytes(data: bytes | mmap.mmap) -> Pack:
    """`read_pack()` for a pack's bytes."""
    if len(data) < len(PACK_MAGIC) + TRAILER or data[:len(PACK_MAGIC)] != PACK_MAGIC \
            or data[len(data) - len(PACK_END):] != PACK_END:
        raise ValueError("not a cache pack, or an unfinished one")
    at = len(data) - TRAILER
    (flen,) = struct.unpack_from("<Q", data, at)
    digest = bytes(data[at + 8:at + 72]).decode("ascii", "replace")
    if not len(PACK_MAGIC) <= at - flen <= at:
        raise ValueError("index out of range")
    footer = data[at - flen:at]
    if sha256_bytes(footer) != digest:
        raise ValueError("index checksum mismatch")
    meta = json.loads(footer)
    return Pack(data, meta["entries"], meta["geo"], meta["maps"], int(meta["dead"]),
                 flen + TRAILER)


def _put(fh: io.BufferedWriter, at: int, blob: object) -> tuple[list, int]:
    """Write ``blob`` at the first aligned offset from ``at``; return its span and the end."""
    off = _align(at)
    fh.write(b"\0" * (off - at))
    fh.write(blob)  # type: ignore[arg-type]
    n = len(blob)  # type: ignore[arg-type]
    return [off, n], off + n


def _put_index(fh: io.BufferedWriter, index: dict) -> None:
    """Write a pack's index and trailer (the file's last bytes)."""
    data = json.dumps(index, separators=(",", ":")).encode()
    fh.write(data + struct.pack("<Q", len(data)) + sha256_bytes(data).encode("ascii") + PACK_END)


def _put_sections(fh: io.BufferedWriter, at: int, entries: list[tuple[str, object, str,
                  list | None]], geo: list, maps: np.ndarray, index: dict) -> None:
    """Append a geo section, a maps section and ``entries`` from ``at``, then the index.

    ``index`` (``geo``, ``maps``, ``entries``, ``dead``) is completed in place.
    """
    if geo or not index["geo"]:
        blob = pickle.dumps(geo, protocol=5)
        span, at = _put(fh, at, blob)
        index["geo"].append([*span, sha256_bytes(blob), len(geo)])
    if len(maps) or not index["maps"]:
        blob = np.ascontiguousarray(maps, dtype="<i4").tobytes()
        span, at = _put(fh, at, blob)
        index["maps"].append([*span, sha256_bytes(blob)])
    for key, blob, sha, m in entries:
        span, at = _put(fh, at, blob)
        index["entries"][key] = [*span, sha, m]
    _put_index(fh, index)


def write_pack(path: Path, entries: list[tuple[str, object, str, list | None]],
                geo: list, maps: np.ndarray) -> None:
    """Write a pack: ``entries`` are ``(key, blob, sha256, [[start, stop], ...] or None)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(PACK_MAGIC)
        _put_sections(fh, len(PACK_MAGIC), entries, geo, maps,
                      {"geo": [], "maps": [], "entries": {}, "dead": 0})
    os.replace(tmp, path)


def append_pack(path: Path, pack: Pack, entries: list[tuple[str, object, str, list | None]],
                 geo: list, maps: np.ndarray) -> bool:
    """Append entries, geo records and maps to the pack read as ``pack``, with a new index.

    The old index stays in the file, unread (counted as ``dead``). Returns False,
    writing nothing, if the file is no longer the one read.
    """
    with open(path, "r+b") as fh:
        at = fh.seek(0, os.SEEK_END)
        if at != len(pack.data):
            return False
        index = {"geo": [list(g) for g in pack.geo], "maps": [list(m) for m in pack.maps],
                 "entries": dict(pack.entries), "dead": pack.dead + pack.tail}
        _put_sections(fh, at, entries, geo, maps, index)
    return True


def write_text(path: Path, text: str) -> None:
    """`write_bytes()` of UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (a temporary file, then renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def state_chunk(obj: object) -> bytes:
    """Return one chunk of an index state file holding ``obj`` (see the module docstring)."""
    blob = encode(obj)
    return INDEX_MAGIC + struct.pack("<Q", len(blob)) + sha256_bytes(blob).encode("ascii") + blob


def iter_state_chunks(data: bytes) -> Iterator[object]:
    """Yield the objects of an index state file's chunks, in order.

    Raises
    ------
    ValueError
        At the first chunk that is damaged (the chunks before it were yielded).
    """
    at, head = 0, len(INDEX_MAGIC)
    while at < len(data):
        if data[at:at + head] != INDEX_MAGIC:
            raise ValueError("not a cached LSOA index")
        (n,) = struct.unpack_from("<Q", data, at + head)
        blob = memoryview(data)[at + head + 72:at + head + 72 + n]
        if len(blob) != n or sha256_bytes(blob) != bytes(
                data[at + head + 8:at + head + 72]).decode("ascii", "replace"):
            raise ValueError("checksum mismatch")
        yield decode(blob)
        at += head + 72 + n
