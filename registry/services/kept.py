"""Whole-registry figures kept between reads until the evidence changes.

At 100,000 suppliers the yardstick's counts take seconds, and the daily derivation, the Overview,
the Suppliers, Support and Renewals pages all read them, and the certificates' states. They are
kept per registry file and *evidence revision*: the newest audit line about anything but flags
(registry/store/audit.py), and the writes this process committed but a derivation's
(``Store.writes_here``: the system's own writes leave no audit line). Any write of evidence,
settings or profiles computes them again, while a derivation, which writes only flags and
readiness history, leaves them valid.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from registry.store import Store
from registry.store.audit import evidence_revision

__all__ = ["forget", "is_kept", "per_evidence_revision"]

_T = TypeVar("_T")

_KEPT = 6  # whole-registry results (up to 40 MB each at 100,000 suppliers)
_cache: OrderedDict[tuple[Hashable, ...], tuple[Any, Any]] = OrderedDict()
_lock = threading.Lock()


def _full_key(store: Store, key: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
    # The file's inode too: a restore (here or by another process) puts another file in its place,
    # whose audit log may end at a number this one had reached.
    inode = store.path.stat().st_ino if store.path.exists() else 0
    return (str(store.path.resolve()), inode, evidence_revision(store), store.writes_here(), *key)


def is_kept(store: Store, key: tuple[Hashable, ...]) -> bool:
    """Whether a result for ``key`` is kept at this evidence revision (nothing is computed)."""
    full = _full_key(store, key)
    with _lock:
        return full in _cache


def per_evidence_revision(
    store: Store, key: tuple[Hashable, ...], compute: Callable[[], _T], *, alive: object = None
) -> _T:
    """``compute()``, or what it gave for the same ``key`` at this evidence revision of this file.
    ``alive`` is kept with the result, so that an object whose ``id()`` is part of the key (a frame
    of crosswalks) cannot be freed and its id reused while the result is kept."""
    full = _full_key(store, key)
    with _lock:
        if full in _cache:
            _cache.move_to_end(full)
            return _cache[full][1]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _cache[full] = (alive, value)
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return value


def forget() -> None:
    """Drop everything kept (a bench timing the computation itself)."""
    with _lock:
        _cache.clear()
