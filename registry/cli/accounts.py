"""Accounts, the supplier portal's invitations and the audit log's check."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from registry import access
from registry.cli.app import (
    _actor,
    _echo_json,
    _existing_store,
    _Group,
    db_option,
)
from registry.cli.shapes import AccountRow, AuditVerdictDoc, InvitationRow
from registry.config import resolve_db_path
from registry.errors import MonosashiError
from registry.store import Store, content
from registry.store import audit as audit_log

__all__ = [
    "audit_group",
    "audit_verify",
    "portal",
    "portal_invite",
    "portal_list",
    "portal_revoke",
    "users",
    "users_add",
    "users_disable",
    "users_list",
    "users_passwd",
]


@click.group(cls=_Group)
def users() -> None:
    """Accounts and their roles: admin, buyer, viewer, supplier (docs/security.md)."""


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("MONOSASHI_NEW_PASSWORD"):
        return os.environ["MONOSASHI_NEW_PASSWORD"]
    return click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True)


@users.command("add")
@click.argument("user_id")
@click.option("--role", required=True, type=click.Choice(["admin", "buyer", "viewer", "supplier"]))
@click.option("--supplier", "supplier_id", default=None, help="For role supplier: the supplier the account is.")
@click.option("--email", default=None, help="The e-mail the identity provider signs this person in with.")
@click.option("--name", "display_name", default=None, help="Display name (default: the user ID).")
@click.option("--oidc-only", is_flag=True, help="No password: signs in only through the identity provider.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def users_add(
    user_id: str,
    role: str,
    supplier_id: str | None,
    email: str | None,
    display_name: str | None,
    oidc_only: bool,
    password_stdin: bool,
    db: Path | None,
) -> None:
    """Create an account (the first one may be created by whoever can open the registry file)."""

    store = Store(resolve_db_path(db))
    content.initialise(store, _actor())
    password = None if oidc_only else _new_password(password_stdin)
    access.add_user(
        store,
        user_id,
        role,
        _actor(),
        password=password,
        display_name=display_name,
        email=email,
        supplier_id=supplier_id,
    )
    click.echo(f"account {user_id} ({role}) created")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def users_list(as_json: bool, db: Path | None) -> None:
    """Every account with its role (never the password hashes)."""

    rows = access.users(_existing_store(db)).to_dicts()
    if as_json:
        _echo_json(rows, AccountRow)
        return
    for r in rows:
        state = " (disabled)" if r["disabled_at"] else ""
        click.echo(f"{r['user_id']:20} {r['role']:8} {r['supplier_id'] or '':10} {r['email'] or ''}{state}")


@users.command("passwd")
@click.argument("user_id")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def users_passwd(user_id: str, password_stdin: bool, db: Path | None) -> None:
    """Set an account's password."""

    access.set_password(_existing_store(db), user_id, _new_password(password_stdin), _actor())
    click.echo(f"password of {user_id} changed")


@users.command("disable")
@click.argument("user_id")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@db_option
def users_disable(user_id: str, enable: bool, db: Path | None) -> None:
    """Disable an account (it can no longer sign in), or enable it again."""

    access.set_user_disabled(_existing_store(db), user_id, not enable, _actor())
    click.echo(f"account {user_id} {'enabled' if enable else 'disabled'}")


@click.group(cls=_Group)
def portal() -> None:
    """Supplier portal invitations: a link per supplier, with expiry and revocation."""


@portal.command("invite")
@click.argument("supplier_id")
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True, help="How long the link is valid.")
@click.option("--base-url", default="http://localhost:8501", show_default=True, help="The app's address.")
@db_option
def portal_invite(supplier_id: str, days: int, base_url: str, db: Path | None) -> None:
    """Create an invitation link for a supplier; the link is printed once and never stored."""

    made = access.create_invitation(_existing_store(db), supplier_id, _actor(), days)
    click.echo(access.portal_address(base_url, made.token))
    click.echo(f"valid until {made.expires_at:%Y-%m-%d %H:%M} UTC; send it to {supplier_id} only", err=True)


@portal.command("list")
@click.option("--supplier", "supplier_id", default=None)
@click.option("--json", "as_json", is_flag=True)
@db_option
def portal_list(supplier_id: str | None, as_json: bool, db: Path | None) -> None:
    """Invitations (named by the start of their hash), with expiry, revocation and use."""

    rows = access.invitations(_existing_store(db), supplier_id).to_dicts()
    if as_json:
        _echo_json(rows, InvitationRow)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else f"until {r['expires_at']:%Y-%m-%d}"
        click.echo(f"{r['invitation']}  {r['supplier_id']:10} {state:18} used {r['uses']}×")


@portal.command("revoke")
@click.argument("invitation")
@db_option
def portal_revoke(invitation: str, db: Path | None) -> None:
    """Revoke an invitation (named by at least 8 characters of its hash, as `portal list` shows)."""

    access.revoke_invitation(_existing_store(db), invitation, _actor())
    click.echo(f"invitation {invitation} revoked")


@click.group("audit", cls=_Group)
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@db_option
def audit_verify(as_json: bool, db: Path | None) -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken line."""

    verdict = audit_log.verify(_existing_store(db))
    if as_json:
        _echo_json(verdict.as_json(), AuditVerdictDoc)
    elif verdict.intact:
        click.echo(f"audit log intact: {verdict.lines} lines; head hash {verdict.head_hash}")
    if not verdict.intact:
        raise MonosashiError("cli.audit_broken", line=verdict.first_broken, problem_key=verdict.problem_key)
