"""Importers: bytes in, validated pydantic batches out; they never touch the database."""

from importers import ipa_catalogue

__all__ = ["IMPORTERS", "ipa_catalogue"]

IMPORTERS = [ipa_catalogue]
