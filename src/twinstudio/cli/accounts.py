"""Accounts: users who sign in, and API keys for programs (issue 8); disabling users,
changing passwords and API keys that expire (issue 19)."""

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    context,
    group,
    out,
    print_json,
    print_list,
    print_result,
)
from twinstudio.domain.errors import InvalidInput

user_app = group("user", "Users who sign in to the web portal and the API.")
apikey_app = group("apikey", "API keys for programs (shown once, stored hashed).")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    role: Annotated[str, typer.Option(help="talent, agency, brand_editor, brand_admin, "
                                           "compliance or admin")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the email)")]
    = None,
    organisation: Annotated[str | None, typer.Option(
        help="Agency or brand id (agency and brand users)")] = None,
    talent: Annotated[str | None, typer.Option(help="Talent id (talent users)")] = None,
    password: Annotated[str | None, typer.Option(
        help="Password (prompted when omitted; or TWINSTUDIO_NEW_PASSWORD)",
        envvar="TWINSTUDIO_NEW_PASSWORD")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Add a user who signs in with a password (hashed with argon2id)."""
    from twinstudio.services.accounts import add_user

    ctx = context(workspace)
    _affiliation_options(role, organisation, talent)
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(ctx, email=email, name=name or email, role=role, password=password,
                    organisation_id=organisation, talent_id=talent)
    print_result(user.model_dump(mode="json", exclude={"password_hash"}),
                 f"user {user.id} {user.email} ({user.role.value})", as_json=as_json,
                 markup=False)


def _affiliation_options(role: str, organisation: str | None, talent: str | None) -> None:
    """Say which option a role needs, before the password is asked for."""
    from twinstudio.domain.accounts import ORGANISATION_ROLES, Role

    kind = ORGANISATION_ROLES.get(Role(role)) if role in set(Role) else None
    if kind and not organisation:
        raise InvalidInput(f"--role {role} needs --organisation: the id of the user's {kind} "
                           f"(twinstudio {kind} list)")
    if role == Role.TALENT and not talent:
        raise InvalidInput(f"--role {role} needs --talent: the user's talent id "
                           "(twinstudio talent list)")


Email = Annotated[str, typer.Argument(help="The user's sign-in email")]


@user_app.command("disable")
def user_disable(email: Email, workspace: Workspace = DEFAULT_WS) -> None:
    """Disable a user: their browser sessions end and their API keys stop working."""
    from twinstudio.services.accounts import set_user_active, user_by_email

    ctx = context(workspace)
    user = set_user_active(ctx, user_by_email(ctx, email).id, False, actor="operator")
    out.print(f"user {user.id} {user.email} disabled", markup=False)


@user_app.command("enable")
def user_enable(email: Email, workspace: Workspace = DEFAULT_WS) -> None:
    """Enable a disabled user again."""
    from twinstudio.services.accounts import set_user_active, user_by_email

    ctx = context(workspace)
    user = set_user_active(ctx, user_by_email(ctx, email).id, True, actor="operator")
    out.print(f"user {user.id} {user.email} enabled", markup=False)


@user_app.command("password")
def user_password(
    email: Email,
    stdin: Annotated[bool, typer.Option(
        "--stdin", help="Read the new password from the first line of standard input "
                        "(for scripts) instead of prompting")] = False,
    workspace: Workspace = DEFAULT_WS,
) -> None:
    """Set a user's password (the policy of 'user add' applies); their browser sessions
    end and a sign-in lock on them is lifted."""
    from twinstudio.domain.passwords import MAX_PASSWORD
    from twinstudio.services.accounts import set_password, user_by_email

    ctx = context(workspace)
    user = user_by_email(ctx, email)
    if stdin:  # bounded: one character over the limit is enough to refuse it
        password = sys.stdin.readline(MAX_PASSWORD + 2).removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    set_password(ctx, user.id, password, actor="operator")
    out.print(f"password of {user.email} changed; their sessions ended", markup=False)


@user_app.command("list")
def user_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List users (never their password hashes)."""
    from twinstudio.services.accounts import list_users

    print_list(list_users(context(workspace)), as_json=as_json,
               columns=("user", "email", "role", "organisation", "talent", "active"),
               row=lambda u: (u.id, u.email, u.role.value, u.organisation_id or "-",
                              u.talent_id or "-", "yes" if u.active else "no"),
               json_of=lambda u: u.model_dump(mode="json", exclude={"password_hash"}))


@apikey_app.command("create")
def apikey_create(
    user: Annotated[str, typer.Option(help="The user's email (the key acts as them)")],
    name: Annotated[str, typer.Option(help="What the key is for")] = "api",
    expires_in: Annotated[int | None, typer.Option(
        min=1, max=3650, help="Days until the key stops working (default: never)")] = None,
    expires: Annotated[str | None, typer.Option(
        help="Date the key stops working, at 00:00 UTC (YYYY-MM-DD)")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Create an API key. It is printed once; only its hash is stored. An expired key
    answers 401 like a revoked one."""
    from twinstudio.services.accounts import create_api_key

    ctx = context(workspace)
    created = create_api_key(ctx, email=user, name=name,
                             expires_at=_expiry(ctx.now(), expires_in, expires))
    expiry = created.key.expires_at
    if as_json:
        print_json({"key_id": created.key.id, "user_id": created.key.user_id,
                     "name": created.key.name, "api_key": created.secret,
                     "expires_at": expiry.isoformat() if expiry else None})
        return
    until = f", valid until {expiry:%Y-%m-%d %H:%M} UTC" if expiry else ""
    out.print(f"API key {created.key.id} for {user}{until}; send it as the X-API-Key "
              "header. It is shown only now:", markup=False)
    out.print(created.secret, markup=False, highlight=False)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="Key id")],
                  workspace: Workspace = DEFAULT_WS) -> None:
    """Revoke an API key at once."""
    from twinstudio.services.accounts import revoke_api_key

    revoke_api_key(context(workspace), key_id, actor="operator")
    out.print(f"API key {key_id} revoked")


def _expiry(now: datetime, days: int | None, on: str | None) -> datetime | None:
    """When a new key expires: ``--expires-in`` days from now, or 00:00 UTC of
    ``--expires``; None for neither."""
    if days is not None and on is not None:
        raise InvalidInput("give --expires-in or --expires, not both")
    if days is not None:
        return now + timedelta(days=days)
    if on is None:
        return None
    try:
        day = datetime.strptime(on, "%Y-%m-%d")
    except ValueError:
        raise InvalidInput(f"--expires {on!r} is not a date such as 2026-12-01") from None
    return day.replace(tzinfo=UTC)
