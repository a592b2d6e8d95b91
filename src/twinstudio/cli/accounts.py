"""Accounts: users who sign in, and API keys for programs (issue 8)."""

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
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Create an API key. It is printed once; only its hash is stored."""
    from twinstudio.services.accounts import create_api_key

    created = create_api_key(context(workspace), email=user, name=name)
    if as_json:
        print_json({"key_id": created.key.id, "user_id": created.key.user_id,
                     "name": created.key.name, "api_key": created.secret})
        return
    out.print(f"API key {created.key.id} for {user}; send it as the X-API-Key header. "
              "It is shown only now:", markup=False)
    out.print(created.secret, markup=False, highlight=False)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="Key id")],
                  workspace: Workspace = DEFAULT_WS) -> None:
    """Revoke an API key at once."""
    from twinstudio.services.accounts import revoke_api_key

    revoke_api_key(context(workspace), key_id, actor="operator")
    out.print(f"API key {key_id} revoked")
