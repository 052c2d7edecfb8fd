"""The audit log as the Audit page and ``monosashi audit verify`` read it: entries filtered, the
actions seen, the registry's revision (the newest line), and the hash chain's check."""

from __future__ import annotations

from registry.store.audit import AuditVerdict, audit_actions, audit_entries, revision, verify

__all__ = ["AuditVerdict", "audit_actions", "audit_entries", "revision", "verify"]
