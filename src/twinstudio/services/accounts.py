"""Use cases of accounts: users, password sign-in, API keys, web sessions, demo logins.

Passwords are hashed by the ``PasswordHasher`` port (argon2id); API keys and session
tokens are random 256-bit secrets of which only a SHA-256 is kept (a fast hash is right
for high-entropy secrets; a slow one is for passwords people choose). Every account
change is audited, never with a secret in it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from twinstudio.domain.accounts import (
    ORGANISATION_ROLES,
    ApiKey,
    Principal,
    Role,
    User,
    WebSession,
    affiliation_problem,
    validate_email,
)
from twinstudio.domain.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.passwords import MAX_PASSWORD, password_problem
from twinstudio.services import signin
from twinstudio.services.context import ServiceContext
from twinstudio.services.ports import PasswordHasher

API_KEY_PREFIX = "tsk"
SESSION_HOURS = 12
# What an unknown email's attempt is verified against, so that it costs exactly what a
# wrong password costs (one argon2 verify; no account enumeration by timing). The hash
# is made once per hasher, with the hasher's own parameters.
_DUMMY_PASSWORD = "not-a-password-of-anyone"
_dummy_hashes: weakref.WeakKeyDictionary[PasswordHasher, str] = weakref.WeakKeyDictionary()


def _hasher(ctx: ServiceContext) -> PasswordHasher:
    if ctx.passwords is None:
        raise ConfigurationError("no password hasher configured")
    return ctx.passwords


def _dummy_hash(hasher: PasswordHasher) -> str:
    if hasher not in _dummy_hashes:
        _dummy_hashes[hasher] = hasher.hash(_DUMMY_PASSWORD)
    return _dummy_hashes[hasher]


def check_password_policy(password: str) -> None:
    """Refuse a password the policy refuses (``domain.passwords``), with its code."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem.message, code=problem.code, problems=[problem])


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(ctx: ServiceContext, *, email: str, name: str, role: Role | str, password: str,
             organisation_id: str | None = None, talent_id: str | None = None,
             actor: str = "operator") -> User:
    """Create a user. A talent user names their talent; agency and brand users name an
    organisation of the matching kind; compliance and admin name neither."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}") from None
    check_password_policy(password)
    problem = affiliation_problem(role, organisation_id, talent_id)
    if problem:
        raise InvalidInput(problem)
    try:
        email = validate_email(email)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    password_hash = _hasher(ctx).hash(password)
    try:
        user = User(email=email, name=name, role=role, organisation_id=organisation_id,
                    talent_id=talent_id, password_hash=password_hash, created_at=ctx.now())
    except ValidationError as error:
        raise InvalidInput.of(error, "user") from None
    with ctx.uow() as uow:
        if uow.users.by_email(email) is not None:
            raise Conflict(f"a user with email {email} exists already")
        if role in ORGANISATION_ROLES:
            uow.organisations.get(organisation_id or "",
                                  OrganisationKind(ORGANISATION_ROLES[role]))
        if talent_id is not None:
            uow.talents.get(talent_id)
        uow.users.add(user)
        uow.audit.append(actor=actor, type="UserAdded", at=ctx.now(), payload={
            "user_id": user.id, "role": role.value, "organisation_id": organisation_id,
            "talent_id": talent_id})
        uow.commit()
    return user


def list_users(ctx: ServiceContext) -> list[User]:
    """Every user, oldest first (their password hashes are the caller's to leave out)."""
    with ctx.uow() as uow:
        return uow.users.list()


def authenticate_password(ctx: ServiceContext, email: str, password: str, *,
                          client: str | None = None) -> Principal:
    """The principal for a correct email and password; Unauthenticated otherwise (the
    same message, and the same hashing work, for an unknown email, a wrong password and
    a disabled user). Attempts are throttled per email and per ``client`` address
    (``services.signin``): TooManyAttempts while either is locked."""
    hasher = _hasher(ctx)
    refused = Unauthenticated("email or password is not correct")
    attempt = signin.begin(ctx, email, client)
    try:
        email = validate_email(email)
    except ValueError:
        email = ""
    user = None
    if email:
        with ctx.uow() as uow:
            user = uow.users.by_email(email)
    # One verify whatever the email: against the user's hash, or a dummy of equal cost.
    # A password longer than any that can be set is never hashed.
    correct = len(password) <= MAX_PASSWORD and hasher.verify(
        user.password_hash if user is not None else _dummy_hash(hasher), password)
    if user is None or not correct or not user.active:
        signin.failed(ctx, attempt, user_id=user.id if user is not None else None)
        raise refused
    signin.succeeded(ctx, attempt)
    if hasher.needs_rehash(user.password_hash):
        with ctx.uow() as uow:
            uow.users.update(user.model_copy(update={"password_hash": hasher.hash(password)}))
            uow.commit()
    return Principal.of(user)


def set_password(ctx: ServiceContext, user_id: str, password: str, *, actor: str) -> None:
    """Change a password (the policy applies); the user's browser sessions end and a
    sign-in lock on their email is lifted."""
    check_password_policy(password)
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        uow.users.update(user.model_copy(update={"password_hash": _hasher(ctx).hash(password)}))
        uow.web_sessions.delete_for_user(user_id)
        signin.clear_account(uow, user.email)
        uow.audit.append(actor=actor, type="UserPasswordChanged", at=ctx.now(),
                         payload={"user_id": user_id})
        uow.commit()


def user_by_email(ctx: ServiceContext, email: str) -> User:
    """The user with this email, or NotFound."""
    with ctx.uow() as uow:
        user = uow.users.by_email(email.strip().lower())
    if user is None:
        raise NotFound(f"user {email.strip()!r} not found")
    return user


def set_user_active(ctx: ServiceContext, user_id: str, active: bool, *,
                    actor: str) -> User:
    """Disable a user (their sessions end at once; their API keys stop working) or
    enable them again. Audited as UserDisabled or UserEnabled."""
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user.active == active:
            raise Conflict(f"user {user.email} is already {'active' if active else 'disabled'}")
        changed = user.model_copy(update={"active": active})
        uow.users.update(changed)
        if not active:
            uow.web_sessions.delete_for_user(user_id)
        uow.audit.append(actor=actor, type="UserEnabled" if active else "UserDisabled",
                         at=ctx.now(), payload={"user_id": user_id})
        uow.commit()
    return changed


# ---------------------------------------------------------------- API keys


@dataclass
class CreatedApiKey:
    key: ApiKey
    secret: str  # shown once, never stored


def create_api_key(ctx: ServiceContext, *, user_id: str | None = None,
                   email: str | None = None, name: str, expires_at: datetime | None = None,
                   actor: str = "operator") -> CreatedApiKey:
    """A new key acting as the user. The full key is returned once; only its hash stays.
    With ``expires_at`` (in the future) it is refused from then on, like a revoked key."""
    if not name.strip() or len(name) > 100:
        raise InvalidInput("an API key needs a name of 1 to 100 characters")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= ctx.now()):
        raise InvalidInput(f"an API key's expiry must be a time in the future (UTC), got "
                           f"{expires_at.isoformat()}", code="expiry_not_in_future")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    full = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    with ctx.uow() as uow:
        if user_id is not None:
            user = uow.users.get(user_id)
        else:
            found = uow.users.by_email(email or "")
            if found is None:
                raise NotFound(f"user {email!r} not found")
            user = found
        key = ApiKey(user_id=user.id, name=name.strip(), prefix=prefix,
                     secret_hash=_sha256(full), created_at=ctx.now(), expires_at=expires_at)
        uow.api_keys.add(key)
        uow.audit.append(actor=actor, type="ApiKeyCreated", at=ctx.now(), payload={
            "key_id": key.id, "user_id": user.id, "prefix": prefix, "name": key.name,
            "expires_at": expires_at.isoformat() if expires_at else None})
        uow.commit()
    return CreatedApiKey(key, full)


def authenticate_api_key(ctx: ServiceContext, presented: str) -> Principal:
    """The principal behind an API key (``tsk_<prefix>_<secret>``), or Unauthenticated
    (also for a revoked or expired key, or a disabled user)."""
    refused = Unauthenticated("API key is not valid")
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(presented) > 200:
        raise refused
    with ctx.uow() as uow:
        key = uow.api_keys.by_prefix(parts[1])
        now = ctx.now()
        if key is None or not key.usable(now) \
                or not hmac.compare_digest(key.secret_hash, _sha256(presented.strip())):
            raise refused
        user = uow.users.get(key.user_id)
        if not user.active:
            raise refused
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            uow.api_keys.update(key.model_copy(update={"last_used_at": now}))
            uow.commit()
    return Principal.of(user)


def revoke_api_key(ctx: ServiceContext, key_id: str, *, actor: str) -> ApiKey:
    with ctx.uow() as uow:
        key = uow.api_keys.get(key_id)
        if key.revoked_at is not None:
            raise Conflict(f"API key {key_id} is already revoked")
        revoked = key.model_copy(update={"revoked_at": ctx.now()})
        uow.api_keys.update(revoked)
        uow.audit.append(actor=actor, type="ApiKeyRevoked", at=ctx.now(),
                         payload={"key_id": key_id, "user_id": key.user_id})
        uow.commit()
    return revoked


# ---------------------------------------------------------------- web sessions


@dataclass
class StartedSession:
    token: str       # goes into the cookie; only its hash is stored
    csrf_token: str
    principal: Principal


def start_web_session(ctx: ServiceContext, email: str, password: str, *,
                      client: str | None = None) -> StartedSession:
    """Sign in with a password from ``client`` (an address; throttled as
    ``authenticate_password``): a new session (and its CSRF token)."""
    principal = authenticate_password(ctx, email, password, client=client)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = ctx.now()
    with ctx.uow() as uow:
        uow.web_sessions.delete_expired(now)
        uow.web_sessions.add(WebSession(token_hash=_sha256(token), user_id=principal.user_id,
                                        csrf_token=csrf, created_at=now,
                                        expires_at=now + timedelta(hours=SESSION_HOURS)))
        uow.audit.append(actor=principal.actor, type="UserSignedIn", at=now,
                         payload={"user_id": principal.user_id})
        uow.commit()
    return StartedSession(token, csrf, principal)


def session_principal(ctx: ServiceContext, token: str) -> tuple[Principal, str]:
    """(principal, CSRF token) of a live session, or Unauthenticated."""
    with ctx.uow() as uow:
        session = uow.web_sessions.get(_sha256(token))
        if session is None or session.expires_at <= ctx.now():
            raise Unauthenticated("not signed in, or the session has ended")
        user = uow.users.get(session.user_id)
    if not user.active:
        raise Unauthenticated("not signed in, or the session has ended")
    return Principal.of(user), session.csrf_token


def end_web_session(ctx: ServiceContext, token: str) -> None:
    with ctx.uow() as uow:
        session = uow.web_sessions.get(_sha256(token))
        if session is not None:
            uow.web_sessions.delete(session.token_hash)
            uow.audit.append(actor=f"user:{session.user_id}", type="UserSignedOut",
                             at=ctx.now(), payload={"user_id": session.user_id})
            uow.commit()


# ---------------------------------------------------------------- demo


DEMO_PASSWORDS = {"talent": "talent-demo-2026", "agency": "agency-demo-2026",
                  "brand": "brand-demo-2026", "compliance": "compliance-demo-2026"}


def demo_compliance_officer(ctx: ServiceContext) -> User:
    """The demo's compliance officer (created once; ``create_demo_logins`` lists it): the
    user who decides the roster's likeness reviews."""
    email = "compliance@demo.twinstudio.example"
    with ctx.uow() as uow:
        found = next((u for u in uow.users.list() if u.email == email), None)
    if found is not None:
        return found
    return add_user(ctx, email=email, name="Compliance officer", role=Role.COMPLIANCE,
                    password=DEMO_PASSWORDS["compliance"], actor="demo")


def create_demo_logins(ctx: ServiceContext) -> list[dict[str, str]]:
    """Demo logins with known passwords (development workspaces only): the talent of the
    licence with the most assets, that talent's agency (or the first agency), the brand
    of that licence, and a compliance officer. Idempotent."""
    with ctx.uow() as uow:
        licences = uow.licences.list()
        if not licences:
            raise Conflict("the workspace has no licence yet; build the demo first")
        counts = {lic.id: len(uow.assets.list(licence_id=lic.id)) for lic in licences}
        licence = max(licences, key=lambda lic: (counts[lic.id], -licences.index(lic)))
        talent = uow.talents.get(licence.talent_id)
        agencies = uow.organisations.list(OrganisationKind.AGENCY)
        agency_id = talent.agency_id or (agencies[0].id if agencies else None)
        brand = uow.organisations.get(licence.brand_id)
        existing = {u.email for u in uow.users.list()}
    wanted = [("talent", f"{talent.name} (talent)", Role.TALENT, None, talent.id),
              ("brand", f"{brand.name} (brand admin)", Role.BRAND_ADMIN, brand.id, None),
              ("compliance", "Compliance officer", Role.COMPLIANCE, None, None)]
    if agency_id:
        wanted.insert(1, ("agency", "Agency booker", Role.AGENCY, agency_id, None))
    logins = []
    for kind, name, role, organisation_id, talent_id in wanted:
        email = f"{kind}@demo.twinstudio.example"
        if email not in existing:
            add_user(ctx, email=email, name=name, role=role, password=DEMO_PASSWORDS[kind],
                     organisation_id=organisation_id, talent_id=talent_id, actor="demo")
        logins.append({"role": role.value, "email": email, "password": DEMO_PASSWORDS[kind],
                       "name": name})
    return logins
