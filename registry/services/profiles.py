"""Mapping profiles for buyers' checklists: shipped ones, YAML files in the folder beside the
registry, and those added through the app or the CLI (validated before they are stored)."""

from __future__ import annotations

from pathlib import Path

from questionnaires.frameworks import MappingProfile, ProfileError, load_profile_text, shipped_profiles
from registry.domain.actor import Actor
from registry.store import Store, settings
from registry.store.settings import add_profile

__all__ = [
    "ProfileError",
    "add_profile_text",
    "mapping_profiles",
    "profiles_folder",
]


def profiles_folder(store: Store) -> Path:
    """The folder of users' own profile files: ``profiles/`` beside the database file."""
    return store.path.parent / "profiles"


def mapping_profiles(store: Store) -> dict[str, MappingProfile]:
    """Shipped profiles, then the YAML files in the profiles folder, then those added through the
    app or CLI (later ones of the same name win)."""
    profiles = dict(shipped_profiles())
    for path in sorted(profiles_folder(store).glob("*.yaml")):
        profile = load_profile_text(path.read_text(encoding="utf-8"), str(path))
        profiles[profile.name] = profile
    for name, text in settings.user_profiles(store).iter_rows():
        profiles[name] = load_profile_text(text, f"profile {name} (database)")
    return profiles


def add_profile_text(store: Store, text: str, origin: str, actor: Actor) -> MappingProfile:
    """Validate a mapping profile's YAML and store it; raises ProfileError naming the problem."""
    profile = load_profile_text(text, origin)
    add_profile(store, profile.name, text, actor)
    return profile
