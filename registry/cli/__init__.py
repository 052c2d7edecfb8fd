"""The ``monosashi`` command line (also ``python -m registry``).

Every command takes ``--db`` (else ``$MONOSASHI_DB``, else ``data/monosashi.duckdb``). Errors
print one line and exit 1; usage errors exit 2. ``--json`` shapes are models in
:mod:`registry.cli.shapes`, documented in ``docs/cli.md`` and kept stable. Each command group
lives in its own module; they are registered here, in the order ``monosashi --help`` lists them.
"""

from __future__ import annotations

from registry.cli import (
    accounts,
    catalogue,
    imports,
    maintenance,
    mapping,
    registry_cmds,
    reminders,
    suppliers,
    work,
    yardstick,
)
from registry.cli.app import CLI_ROLES, main

__all__ = ["CLI_ROLES", "main"]

main.add_command(registry_cmds.init)
main.add_command(registry_cmds.demo)
main.add_command(registry_cmds.serve)
main.add_command(registry_cmds.schema)
main.add_command(catalogue.catalogue_group)
main.add_command(suppliers.suppliers_group)
main.add_command(suppliers.proposals)
main.add_command(imports.import_)
main.add_command(imports.template)
main.add_command(imports.profiles)
main.add_command(imports.history)
main.add_command(imports.certificates)
main.add_command(imports.links)
main.add_command(yardstick.status)
main.add_command(yardstick.explain)
main.add_command(yardstick.renewals)
main.add_command(yardstick.coverage)
main.add_command(accounts.users)
main.add_command(accounts.portal)
main.add_command(accounts.audit_group)
main.add_command(work.requests)
main.add_command(work.flags_command)
main.add_command(work.gap_report)
main.add_command(maintenance.backup)
main.add_command(maintenance.restore)
main.add_command(reminders.remind)
main.add_command(mapping.map_checklist)
