"""``monosashi remind``: the daily reminder run (docs/reminders.md), for cron or a systemd timer."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from registry.access import create_invitation, portal_address
from registry.cli.app import _actor, _as_of, _echo_json, _existing_store, as_of_option, cli_lang, counted, db_option
from registry.cli.shapes import RemindRunDoc
from registry.services import reminders
from registry.store import Store

__all__ = ["remind"]


def _portal_links(store: Store, base_url: str) -> reminders.PortalLink:
    """A fresh portal link per message that needs one, made by the person running the command."""

    def made(supplier_id: str) -> tuple[str, date]:
        invitation = create_invitation(store, supplier_id, _actor(), 30)
        return portal_address(base_url, invitation.token), invitation.expires_at.date()

    return made


def _reason_doc(reason: str | None, lang: str) -> dict[str, Any] | None:
    parts = reminders.reason_parts(reason)
    if parts is None:
        return None
    key, params = parts
    return {"key": key, "params": params, "message": reminders.reason_text(reason, lang)}


@click.command("remind")
@as_of_option
@click.option("--dry-run", is_flag=True, help="List what would be sent, and send and write nothing.")
@click.option(
    "--base-url",
    default=None,
    help="The app's address for portal links in e-mails (default: the app.base_url setting, else http://localhost:8501).",
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def remind(as_of: Any, dry_run: bool, base_url: str | None, as_json: bool, db: Path | None) -> None:
    """Send the reminders due on a date (default today): renewals, ★4 yearly checks, requests,
    portal links and owners' digests, each once; failures are retried on later runs."""
    store = _existing_store(db)
    base = base_url or store.setting("app.base_url") or "http://localhost:8501"
    report = reminders.run(
        store, _as_of(as_of), actor=_actor(), dry_run=dry_run, portal_link=_portal_links(store, base)
    )
    lang = cli_lang()
    messages = [{**row, "reason": _reason_doc(row["reason"], lang)} for row in report.messages.to_dicts()]
    doc = {
        "as_of": report.as_of,
        "dry_run": report.dry_run,
        "planned": report.planned,
        "stopped": _reason_doc(report.stopped, lang),
        "counts": report.counts,
        "messages": messages,
    }
    if as_json:
        _echo_json(doc, RemindRunDoc)
        if doc["stopped"]:
            raise SystemExit(1)  # for cron and the timer: a stopped run is a failed run
        return
    for row in messages:
        reason = f"  ({row['reason']['message']})" if row["reason"] else ""
        click.echo(f"{row['outcome']:10} {row['kind']:22} {row['recipient']:32} {row['subject'] or ''}{reason}")
    for kind, outcomes in sorted(report.counts.items()):
        click.echo(f"{kind}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())), err=True)
    click.echo(counted(report.messages.height, "message") + (" (dry run: nothing sent)" if dry_run else ""), err=True)
    if doc["stopped"]:
        raise click.ClickException(doc["stopped"]["message"])
