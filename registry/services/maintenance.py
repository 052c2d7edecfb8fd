"""The registry's life cycle: made ready on first start (migrated, the demo loaded and derived)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from questionnaires.catalogue import load_catalogue
from registry.domain.actor import Actor
from registry.services import derivation
from registry.services.demo import generate_demo
from registry.store import Store, private_files
from registry.store.content import initialise, mark_first_start, replace_demo
from registry.store.suppliers import supplier_count

__all__ = [
    "Store",
    "ensure_ready",
    "generate_demo",
    "open_registry",
    "replace_demo",
]


def open_registry(path: Path, demo_suppliers: int, today: date) -> Store:
    """The app's registry, ready for the day: its files private to this user, migrated, the demo
    loaded on the very first start, the day's derivation done, the catalogue data checked."""
    private_files()
    store = Store(path)
    ensure_ready(store, demo_suppliers, today)
    derivation.ensure_current(store, today)
    load_catalogue()  # fail here, once, if a catalogue data file is broken
    return store


def ensure_ready(store: Store, demo_suppliers: int, as_of: date) -> bool:
    """Migrate, and on the very first start fill an empty registry with the demo (the system's
    own work when the app starts, before anyone signs in).

    Returns True when the demo was loaded. Runs once per database: a registry emptied later
    stays empty.
    """
    initialise(store, Actor.system("migrate"))
    if demo_suppliers <= 0 or store.setting("first_start_done") is not None:
        return False
    loaded = False
    demo = Actor.system("demo")
    if not supplier_count(store):
        replace_demo(store, generate_demo(demo_suppliers, seed=1, as_of=as_of), demo, seed=1)
        derivation.replay(store, as_of, months=6, actor=Actor.system("derive"))
        loaded = True
    mark_first_start(store, as_of, demo)
    return loaded
