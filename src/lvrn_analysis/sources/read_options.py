"""Choices a person can make about how files are read, when detection cannot decide.

``lvrn validate --encoding NAME --date-order DMY|MDY`` sets them for the files it
reads; code sets them with the `reading_options()` context manager. They apply
in the current thread or task only (a `contextvars.ContextVar`), so a build's
worker processes always detect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: Accepted date orders: day/month/year (UK) and month/day/year (US).
DATE_ORDERS: tuple[str, ...] = ("DMY", "MDY")


@dataclass(frozen=True)
class ReadOptions:
    """How to read files where detection cannot decide.

    Attributes
    ----------
    encoding
        Text encoding to use instead of detecting one (a Python codec name).
    date_order
        ``"DMY"`` or ``"MDY"`` for dates written ``NN/NN/YYYY``, instead of deciding
        the order from the file.
    """

    encoding: str | None = None
    date_order: str | None = None


_DEFAULT = ReadOptions()
_OPTIONS: ContextVar[ReadOptions | None] = ContextVar("lvrn_read_options", default=None)


def current() -> ReadOptions:
    """Return the options in force."""
    return _OPTIONS.get() or _DEFAULT


def _checked(encoding: str | None, date_order: str | None) -> ReadOptions:
    order = date_order.upper() if date_order else None
    if order is not None and order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}, not "
                         f"{date_order!r}")
    return ReadOptions(encoding=encoding or None, date_order=order)


@contextmanager
def reading_options(*, encoding: str | None = None,
                    date_order: str | None = None) -> Iterator[ReadOptions]:
    """Read files with these options inside the ``with`` block.

    Parameters
    ----------
    encoding
        Text encoding, e.g. ``"utf-16"`` or ``"latin-1"``.
    date_order
        ``"DMY"`` or ``"MDY"`` (case-insensitive).

    Raises
    ------
    ValueError
        If ``date_order`` is not one of `DATE_ORDERS`.
    """
    token = _OPTIONS.set(_checked(encoding, date_order))
    try:
        yield current()
    finally:
        _OPTIONS.reset(token)


def use_reading_options(*, encoding: str | None = None, date_order: str | None = None) -> None:
    """Set the options for the rest of the current context (a command-line run).

    Parameters are as for `reading_options()`; ``None`` keeps detection.
    """
    _OPTIONS.set(_checked(encoding, date_order))
