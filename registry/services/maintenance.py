"""The registry's life cycle: made ready on first start (migrated, the demo loaded and derived)."""

from __future__ import annotations

from datetime import date

from registry.domain.actor import Actor
from registry.store import Store
from registry.store.content import initialise, replace_demo


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
    if not store.scalar("SELECT count(*) FROM supplier"):
        from registry.services import flags  # flags read through the yardstick, which imports this module
        from registry.services.demo import generate_demo  # the generator imports this module

        replace_demo(store, generate_demo(demo_suppliers, seed=1, as_of=as_of), demo, seed=1)
        flags.replay(store, as_of, months=6, actor=Actor.system("derive"))
        loaded = True
    with store.transaction(demo) as tx:
        store.set_setting(tx, "first_start_done", as_of.isoformat())
    return loaded
