"""The ``twinstudio`` command line (Typer + Rich).

Every command takes ``--workspace DIR`` (default ``./twinstudio-data`` or
``TWINSTUDIO_WORKSPACE``); read commands take ``--json``. Bad input (unreadable or invalid
JSON, unknown codes, unknown ids) prints one line on stderr, exits 2 and changes nothing.
A rights refusal exits 3 and lists every reason. A failed integrity check exits 4.
"""


import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from twinstudio.domain.errors import (
    ConfigurationError,
    IntegrityError,
    InvalidInput,
    RightsRefused,
    TwinStudioError,
)
from twinstudio.fileio import atomic_write

app = typer.Typer(help="twinstudio: digital twins that the talent owns.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
talent_app = typer.Typer(help="Talents (models) and their twins.", no_args_is_help=True)
brand_app = typer.Typer(help="Brands that license twins.", no_args_is_help=True)
agency_app = typer.Typer(help="Agencies that represent talents.", no_args_is_help=True)
consent_app = typer.Typer(help="Digital replica consents signed by talents.",
                          no_args_is_help=True)
biometrics_app = typer.Typer(help="Biometric releases (BIPA / GDPR Art. 9).",
                             no_args_is_help=True)
licence_app = typer.Typer(help="Licences of twins to brands.", no_args_is_help=True)
policy_app = typer.Typer(help="Decide proposed uses.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)
rights_app = typer.Typer(help="Expiry of consents and licences.", no_args_is_help=True)
asset_app = typer.Typer(help="Assets: images of twins, marked with provenance.",
                        no_args_is_help=True)
twin_app = typer.Typer(help="Twins: enrolment from a capture session, matching.",
                       no_args_is_help=True)
roster_app = typer.Typer(help="The synthetic roster: made-up people with body twins.",
                         no_args_is_help=True)
ledger_app = typer.Typer(help="The payment ledger: billable events, periods, checks.",
                         no_args_is_help=True)
# accounts and the web server (issue 8)
user_app = typer.Typer(help="Users who sign in to the web portal and the API.",
                       no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for programs (shown once, stored hashed).",
                         no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
for sub, name in ((talent_app, "talent"), (brand_app, "brand"), (agency_app, "agency"),
                  (consent_app, "consent"), (biometrics_app, "biometrics"),
                  (licence_app, "licence"), (policy_app, "policy"), (audit_app, "audit"),
                  (rights_app, "rights"), (ledger_app, "ledger"), (asset_app, "asset"),
                  (roster_app, "roster"), (twin_app, "twin")):
    app.add_typer(sub, name=name)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Workspace = Annotated[Path, typer.Option(
    "--workspace", "-w", envvar="TWINSTUDIO_WORKSPACE",
    help="Workspace folder (SQLite database, keys).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_WS = Path("twinstudio-data")
F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


def _exit_code(error: TwinStudioError) -> int:
    if isinstance(error, RightsRefused):
        return 3
    if isinstance(error, IntegrityError):
        return 4
    return 2


def handled(func: F) -> F:
    """Turn twinstudio errors into one clear line on stderr and a documented exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RightsRefused as error:
            if kwargs.get("as_json"):
                _print_json({"error": error.code, "message": error.message,
                             "reasons": [r.model_dump() for r in error.reasons]})
            err.print(f"[red]refused:[/red] {error.message}", highlight=False)
            for reason in error.reasons:
                err.print(f"  - {reason.code}: {reason.message}", highlight=False, markup=False)
            raise typer.Exit(3) from None
        except TwinStudioError as error:
            err.print(f"error: {error.message}", highlight=False, markup=False)
            raise typer.Exit(_exit_code(error)) from None
        except UnicodeError:
            err.print("error: text arguments must be valid UTF-8", highlight=False)
            raise typer.Exit(2) from None
        except OSError as error:  # a path the user gave cannot be used
            where = f" ({error.filename})" if error.filename else ""
            err.print(f"error: {error.strerror or error}{where}", highlight=False,
                      markup=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def writable_path(path: Path) -> None:
    """Refuse an output path that cannot be written, before anything is changed."""
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidInput(f"{path}: {parent} is not a folder")
    import os

    if not os.access(parent, os.W_OK):
        raise InvalidInput(f"{path}: {parent} is not writable")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _validation_line(source: str, error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "document"
        message = item["msg"].removeprefix("Value error, ")
        if item["loc"]:  # the domain's messages often start with the field name already
            message = message.removeprefix(f"{item['loc'][-1]}: ")
        parts.append(f"{where}: {message}")
    more = f" (+{error.error_count() - 3} more)" if error.error_count() > 3 else ""
    return f"{source}: " + "; ".join(parts) + more


def load_model(path: Path, model: type[M]) -> M:
    """Read a JSON file into ``model``; every problem becomes a one-line InvalidInput."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read: {error}") from None
    if len(raw) > 1_000_000:
        raise InvalidInput(f"{path}: larger than 1 MB; not a terms document")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: "
                           f"{error.msg}") from None
    except (RecursionError, ValueError):
        raise InvalidInput(f"{path}: JSON nested too deeply or not decodable") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(_validation_line(str(path), error)) from None


def context(workspace: Path):  # type: ignore[no-untyped-def]
    """Services of an existing workspace (refuses a folder that ``init`` did not create)."""
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.workspace import require_workspace

    require_workspace(workspace)
    try:
        settings = Settings(workspace=workspace)
    except ValidationError as error:
        raise ConfigurationError(_validation_line("configuration", error)) from None
    return bootstrap(settings)


# ---------------------------------------------------------------------------- init


@app.command()
@handled
def init(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Create a workspace: folder, database schema, signing keys, C2PA development CA."""
    from twinstudio.config import Settings
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.workspace import create_workspace

    created = create_workspace(workspace)
    settings = Settings(workspace=workspace)
    if settings.c2pa_cert_chain is None:
        ensure_development_credentials(settings.c2pa_dir)
    context(workspace)
    url = settings.effective_database_url
    if as_json:
        _print_json({"workspace": str(workspace.resolve()), "created": created,
                     "database": url.split("@")[-1]})
        return
    verb = "Created" if created else "Workspace exists:"
    out.print(f"{verb} {workspace.resolve()} (database {url.split('@')[-1]})")


# ---------------------------------------------------------------------------- parties


@talent_app.command("add")
@handled
def talent_add(name: Annotated[str, typer.Option(help="The talent's name.")],
               language: Annotated[str, typer.Option(help="BCP 47 tag, e.g. fr")] = "en",
               agency: Annotated[str | None, typer.Option(help="Agency id")] = None,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Register a talent; their twin is created in state 'enrolling'."""
    from twinstudio.services.parties import add_talent

    try:
        talent, twin = add_talent(context(workspace), name=name, language=language,
                                  agency_id=agency)
    except ValidationError as error:
        raise InvalidInput(_validation_line("talent", error)) from None
    if as_json:
        _print_json({**talent.model_dump(mode="json"), "twin_id": twin.id,
                     "twin_state": twin.state.value})
        return
    out.print(f"talent {talent.id} ({talent.name}); twin {twin.id} [{twin.state.value}]")


@talent_app.command("list")
@handled
def talent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List talents with their twin and its state."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        rows = [(t, uow.twins.get_by_talent(t.id)) for t in uow.talents.list()]
    if as_json:
        _print_json([{**t.model_dump(mode="json"), "twin_id": w.id, "twin_state": w.state.value}
                     for t, w in rows])
        return
    table = Table("talent", "name", "language", "agency", "twin", "state")
    for t, w in rows:
        table.add_row(t.id, t.name, t.language, t.agency_id or "-", w.id, w.state.value)
    out.print(table)


def _org_commands(sub: typer.Typer, kind_name: str) -> None:
    @sub.command("add")
    @handled
    def org_add(name: Annotated[str, typer.Option(help=f"The {kind_name}'s name.")],
                country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2")] = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
        from twinstudio.domain.iso_codes import ISO_3166_ALPHA2
        from twinstudio.domain.parties import OrganisationKind
        from twinstudio.services.parties import add_organisation

        if country is not None and country not in ISO_3166_ALPHA2:
            raise InvalidInput(f"country {country!r} is not an ISO 3166-1 alpha-2 code")
        try:
            org = add_organisation(context(workspace), kind=OrganisationKind(kind_name),
                                   name=name, country=country)
        except ValidationError as error:
            raise InvalidInput(_validation_line(kind_name, error)) from None
        if as_json:
            _print_json(org.model_dump(mode="json"))
            return
        out.print(f"{kind_name} {org.id} ({org.name})")

    org_add.__doc__ = f"Register a {kind_name} (with its signing key)."

    @sub.command("list")
    @handled
    def org_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
        from twinstudio.domain.parties import OrganisationKind

        ctx = context(workspace)
        with ctx.uow() as uow:
            orgs = uow.organisations.list(OrganisationKind(kind_name))
        if as_json:
            _print_json([o.model_dump(mode="json") for o in orgs])
            return
        table = Table(kind_name, "name", "country")
        for o in orgs:
            table.add_row(o.id, o.name, o.country or "-")
        out.print(table)

    org_list.__doc__ = f"List {kind_name}s."


_org_commands(brand_app, "brand")
_org_commands(agency_app, "agency")


# ---------------------------------------------------------------------------- consent


@consent_app.command("grant")
@handled
def consent_grant(
    talent: Annotated[str, typer.Option(help="Talent id (the talent signs themself).")],
    document: Annotated[Path, typer.Option(help="Consent JSON: purpose, scope, rate_of_pay, "
                                                "starts, ends, language.")],
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The talent signs a digital replica consent (NY Fashion Workers Act)."""
    from twinstudio.domain.consent import ConsentDocument
    from twinstudio.services.rights import grant_consent

    doc = load_model(document, ConsentDocument)
    consent = grant_consent(context(workspace), talent_id=talent, document=doc)
    if as_json:
        _print_json(consent.model_dump(mode="json"))
        return
    out.print(f"consent {consent.id} signed by {talent}, {doc.starts} to {doc.ends}")


@consent_app.command("revoke")
@handled
def consent_revoke(consent_id: Annotated[str, typer.Argument(help="Consent id")],
                   reason: Annotated[str, typer.Option(help="Why (kept in the audit chain)")]
                   = "revoked by the talent",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a consent: its licences are suspended, queued work withdrawn."""
    from twinstudio.services.rights import revoke_consent

    result = revoke_consent(context(workspace), consent_id, reason=reason)
    if as_json:
        _print_json({"consent_id": consent_id, "state": "revoked",
                     "suspended_licences": result.suspended_licences,
                     "withdrawn": result.hook_results})
        return
    out.print(f"consent {consent_id} revoked; suspended licences: "
              f"{', '.join(result.suspended_licences) or 'none'}")


@consent_app.command("show")
@handled
def consent_show(consent_id: Annotated[str, typer.Argument(help="Consent id")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a consent and whether its signature verifies."""
    from twinstudio.services.rights import verify_consent

    ctx = context(workspace)
    with ctx.uow() as uow:
        consent = uow.consents.get(consent_id)
    report = verify_consent(ctx, consent_id)
    data = {**consent.model_dump(mode="json"), "verification": report.as_dict()}
    if as_json:
        _print_json(data)
        return
    d = consent.document
    table = Table(show_header=False)
    for key, value in (
        ("consent", consent.id), ("talent", consent.talent_id), ("twin", consent.twin_id),
        ("state", consent.state.value), ("purpose", d.purpose),
        ("period", f"{d.starts} to {d.ends}"), ("language", d.language),
        ("channels", ", ".join(d.scope.channels)),
        ("territories", ", ".join(d.scope.territories)),
        ("categories", ", ".join(d.scope.product_categories)),
        ("identity alterations", ", ".join(d.scope.alterations) or "none"),
        ("rate of pay", f"{d.rate_of_pay.amount} {d.rate_of_pay.currency} minor units "
                        f"{d.rate_of_pay.basis}"),
        ("signature", "valid" if report.valid else "INVALID"),
    ):
        table.add_row(key, value)
    out.print(table)


@consent_app.command("list")
@handled
def consent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List consents."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        consents = uow.consents.list()
    if as_json:
        _print_json([c.model_dump(mode="json") for c in consents])
        return
    table = Table("consent", "talent", "state", "starts", "ends")
    for c in consents:
        table.add_row(c.id, c.talent_id, c.state.value, str(c.document.starts),
                      str(c.document.ends))
    out.print(table)


# ---------------------------------------------------------------------------- biometrics


@biometrics_app.command("release")
@handled
def biometrics_release(
    talent: Annotated[str, typer.Option(help="Talent id (the talent signs themself).")],
    document: Annotated[Path, typer.Option(help="Release JSON: purpose, retention_days, "
                                                "written_release, explicit_consent, language")],
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The talent signs a biometric release (needed before enrolment)."""
    from twinstudio.domain.consent import BiometricReleaseDocument
    from twinstudio.services.rights import grant_biometric_release

    doc = load_model(document, BiometricReleaseDocument)
    release = grant_biometric_release(context(workspace), talent_id=talent, document=doc)
    if as_json:
        _print_json(release.model_dump(mode="json"))
        return
    out.print(f"biometric release {release.id} signed by {talent} "
              f"(retention {doc.retention_days} days)")


@biometrics_app.command("revoke")
@handled
def biometrics_revoke(release_id: Annotated[str, typer.Argument(help="Release id")],
                      workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a biometric release."""
    from twinstudio.services.rights import revoke_biometric_release

    release = revoke_biometric_release(context(workspace), release_id)
    if as_json:
        _print_json(release.model_dump(mode="json"))
        return
    out.print(f"biometric release {release_id} revoked")


@biometrics_app.command("purge")
@handled
def biometrics_purge(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Crypto-shred biometric templates whose retention date has passed (run daily)."""
    from twinstudio.services.biometrics import purge_expired

    twins = purge_expired(context(workspace), actor="operator")
    if as_json:
        _print_json({"shredded_twins": twins})
        return
    out.print(f"shredded the biometric data of {len(twins)} twin(s)")


# ---------------------------------------------------------------------------- licence


@licence_app.command("grant")
@handled
def licence_grant(
    twin: Annotated[str, typer.Option(help="Twin id")],
    brand: Annotated[str, typer.Option(help="Brand id")],
    terms: Annotated[Path, typer.Option(help="Licence terms JSON")],
    consent: Annotated[str | None, typer.Option(help="Consent id (default: the active consent "
                                                     "that covers the terms)")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Grant a licence of a twin to a brand, signed by both (refused with every reason)."""
    from twinstudio.domain.licence import LicenceTerms
    from twinstudio.services.rights import grant_licence

    parsed = load_model(terms, LicenceTerms)
    licence = grant_licence(context(workspace), twin_id=twin, brand_id=brand, terms=parsed,
                            consent_id=consent)
    if as_json:
        _print_json(licence.model_dump(mode="json"))
        return
    out.print(f"licence {licence.id}: twin {twin} to brand {brand}, "
              f"{parsed.starts} to {parsed.ends}")


@licence_app.command("revoke")
@handled
def licence_revoke(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                   reason: Annotated[str, typer.Option(help="Why")] = "revoked",
                   by: Annotated[str, typer.Option(help="Who revokes (talent or brand id)")]
                   = "operator",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a licence; the twin's queued work under it is withdrawn."""
    from twinstudio.services.rights import revoke_licence

    result = revoke_licence(context(workspace), licence_id, reason=reason, actor=by)
    if as_json:
        _print_json({"licence_id": licence_id, "state": "revoked",
                     "withdrawn": result.hook_results})
        return
    out.print(f"licence {licence_id} revoked")


@licence_app.command("show")
@handled
def licence_show(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a licence, its terms and whether its signatures verify."""
    from twinstudio.services.rights import verify_licence

    ctx = context(workspace)
    with ctx.uow() as uow:
        licence = uow.licences.get(licence_id)
    report = verify_licence(ctx, licence_id)
    if as_json:
        _print_json({**licence.model_dump(mode="json"), "verification": report.as_dict()})
        return
    t = licence.terms
    table = Table(show_header=False)
    for key, value in (
        ("licence", licence.id), ("twin", licence.twin_id), ("brand", licence.brand_id),
        ("consent", licence.consent_id),
        ("state", licence.state.value + (f" ({licence.state_reason})"
                                         if licence.state_reason else "")),
        ("period", f"{t.starts} to {t.ends}"), ("channels", ", ".join(t.channels)),
        ("territories", ", ".join(t.territories)),
        ("categories", ", ".join(t.product_categories)),
        ("exclusive", ", ".join(t.exclusive_categories) or "none"),
        ("alterations", ", ".join(t.permitted_alterations) or "none"),
        ("prohibited", ", ".join(t.prohibited_content) or "none"),
        ("assets", f"{licence.assets_used} of {t.max_assets}"),
        ("intended uses", t.intended_uses), ("representation", t.representation),
        ("signatures", "valid" if report.valid else f"INVALID {report.as_dict()}"),
    ):
        table.add_row(key, value)
    out.print(table)


@licence_app.command("list")
@handled
def licence_list(brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
                 twin: Annotated[str | None, typer.Option(help="Only this twin")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List licences."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        licences = uow.licences.list(brand_id=brand, twin_id=twin)
    if as_json:
        _print_json([lic.model_dump(mode="json") for lic in licences])
        return
    table = Table("licence", "twin", "brand", "state", "period", "channels", "territories")
    for lic in licences:
        table.add_row(lic.id, lic.twin_id, lic.brand_id, lic.state.value,
                      f"{lic.terms.starts}..{lic.terms.ends}", ",".join(lic.terms.channels),
                      ",".join(lic.terms.territories))
    out.print(table)


@licence_app.command("verify")
@handled
def licence_verify(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check the licence still matches what both parties signed (exit 4 if not)."""
    from twinstudio.services.rights import verify_licence

    report = verify_licence(context(workspace), licence_id)
    if as_json:
        _print_json(report.as_dict())
    else:
        out.print(f"licence {licence_id}: " + ("signatures valid" if report.valid
                                               else f"INVALID {report.as_dict()}"))
    if not report.valid:
        raise typer.Exit(4)


# ---------------------------------------------------------------------------- policy


@policy_app.command("check")
@handled
def policy_check(licence: Annotated[str, typer.Option(help="Licence id")],
                 use: Annotated[Path, typer.Option(help="Proposed use JSON")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Decide a proposed use: allowed, or every reason it is not."""
    from twinstudio.domain.policy import ProposedUse
    from twinstudio.services.rights import check_use

    decision = check_use(context(workspace), licence, load_model(use, ProposedUse))
    if as_json:
        _print_json(decision.model_dump(mode="json"))
        return
    if decision.allowed:
        out.print("[green]allowed[/green]")
    else:
        out.print("[red]refused[/red]")
        for reason in decision.reasons:
            out.print(f"  - {reason.code}: {reason.message}", markup=False, highlight=False)


# ---------------------------------------------------------------------------- audit & rights


@audit_app.command("verify")
@handled
def audit_verify(expect_head: Annotated[str | None, typer.Option(
                     help="A head 'SEQ:HASH' published earlier (detects truncation)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Verify the audit chain; name the first bad sequence number (exit 4 if broken)."""
    from twinstudio.services.audit import verify_audit

    report = verify_audit(context(workspace), expect_head)
    if as_json:
        _print_json(report.model_dump(mode="json"))
    elif report.ok:
        out.print(f"audit chain ok: {report.events} events, head "
                  f"{report.head_seq}:{report.head_hash}")
    else:
        out.print(f"[red]audit chain broken at sequence {report.first_bad_seq}[/red]: "
                  f"{report.problem}")
    if not report.ok:
        raise typer.Exit(4)


@audit_app.command("show")
@handled
def audit_show(limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show the most recent audit events."""
    from twinstudio.services.audit import recent_events

    events = recent_events(context(workspace), limit)
    if as_json:
        _print_json([e.model_dump(mode="json") for e in events])
        return
    table = Table("seq", "at", "actor", "type", "payload")
    for e in events:
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.type,
                      json.dumps(e.payload, ensure_ascii=False)[:90])
    out.print(table)


@rights_app.command("sweep")
@handled
def rights_sweep(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Expire consents and licences whose end date has passed (run daily)."""
    from twinstudio.services.rights import expire_rights

    expired = expire_rights(context(workspace))
    if as_json:
        _print_json(expired)
        return
    out.print(f"expired {len(expired['consents'])} consent(s), "
              f"{len(expired['licences'])} licence(s)")


# ---------------------------------------------------------------------------- ledger


@ledger_app.command("post")
@handled
def ledger_post(
    event_type: Annotated[str, typer.Option("--type", help="asset_approved | asset_published "
                                                           "| licence_signed")],
    licence: Annotated[str, typer.Option(help="Licence id")],
    asset: Annotated[str | None, typer.Option(help="Asset id")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel, for asset_published")] = None,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601, UTC); default now")] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Post one billable event exactly once (the asset lifecycle posts these itself)."""
    from datetime import datetime

    from twinstudio.domain.ledger import BillableEvent, EventType
    from twinstudio.services.billing import post_event

    ctx = context(workspace)
    if event_type == EventType.PERIOD_CLOSED.value:
        raise InvalidInput("use 'twinstudio ledger close --period YYYY-MM' to close a period")
    try:
        when = datetime.fromisoformat(at) if at else ctx.now()
        event = BillableEvent(type=event_type, licence_id=licence, asset_id=asset,
                              channel=channel, occurred_at=when)
    except ValidationError as error:
        raise InvalidInput(_validation_line("event", error)) from None
    except ValueError as error:
        raise InvalidInput(f"--at: {error}") from None
    result = post_event(ctx, event, actor="operator")
    if as_json:
        _print_json(result.as_dict())
        return
    if result.posted and result.transaction:
        out.print(f"posted {result.transaction.id}: {result.event_key} gross "
                  f"{result.transaction.gross} {result.transaction.currency} minor units")
    else:
        out.print(f"nothing posted for {result.event_key}: {result.reason}")


@ledger_app.command("close")
@handled
def ledger_close(period: Annotated[str, typer.Option(help="Month, e.g. 2026-11")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Close a finished month: top up every licence to its minimum guarantee (idempotent)."""
    from twinstudio.services.billing import close_period

    closed = close_period(context(workspace), period, actor="operator")
    if as_json:
        _print_json(closed)
        return
    out.print(f"closed {period} for {len(closed)} licence(s); top-ups: "
              f"{sum(1 for c in closed if c['top_up'])}")


@ledger_app.command("reverse")
@handled
def ledger_reverse(transaction_id: Annotated[str, typer.Argument(help="Transaction id")],
                   reason: Annotated[str, typer.Option(help="Why (required)")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Correct a posting with a reversal (entries are never edited)."""
    from twinstudio.services.billing import reverse_transaction

    result = reverse_transaction(context(workspace), transaction_id, reason=reason,
                                 actor="operator")
    if as_json:
        _print_json(result.as_dict())
        return
    out.print(f"reversed {transaction_id}" if result.posted else result.reason)


@ledger_app.command("check")
@handled
def ledger_check(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Prove the ledger balances and every event is posted once (exit 4 if not)."""
    from twinstudio.services.billing import check_ledger

    report = check_ledger(context(workspace))
    if as_json:
        _print_json(report.as_dict())
    elif report.ok:
        out.print(f"ledger ok: {report.transactions} transactions, {report.entries} entries, "
                  f"debits = credits = {report.debits}")
    else:
        out.print(f"[red]ledger broken[/red]: {report.as_dict()['problems']}")
    if not report.ok:
        raise typer.Exit(4)


@ledger_app.command("balances")
@handled
def ledger_balances(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Balance of every account (debits positive, credits negative; minor units)."""
    from twinstudio.services.billing import account_balances

    result = account_balances(context(workspace))
    if as_json:
        _print_json(result)
        return
    table = Table("account", "balance")
    for account, amount in result.items():
        table.add_row(account, str(amount))
    out.print(table)


@app.command()
@handled
def statement(
    period: Annotated[str, typer.Option(help="Month, e.g. 2026-11")],
    talent: Annotated[str | None, typer.Option(help="Talent id")] = None,
    brand: Annotated[str | None, typer.Option(help="Brand id (what it owes per talent)")]
    = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write a CSV here")] = None,
    pdf_path: Annotated[Path | None, typer.Option("--pdf", help="Write a PDF here")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code, when paid in several")]
    = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """A talent's earnings (or a brand's dues) for a month, as a table, CSV or PDF."""
    from twinstudio.domain.money import Money
    from twinstudio.ledger import write_csv, write_pdf
    from twinstudio.services.billing import brand_statement, talent_statement

    if (talent is None) == (brand is None):
        raise InvalidInput("give exactly one of --talent or --brand")
    ctx = context(workspace)
    for path in (csv_path, pdf_path):
        if path is not None:
            writable_path(path)
    st = (talent_statement(ctx, talent, period, currency) if talent
          else brand_statement(ctx, brand or "", period, currency))
    if csv_path:
        write_csv(st, csv_path)
    if pdf_path:
        write_pdf(st, pdf_path)
    if as_json:
        _print_json(st.as_dict())
        return
    def fmt(amount: int) -> str:
        return Money(amount=amount, currency=st.currency).format()

    who = "brand" if st.party_kind == "talent" else "talent"
    table = Table("date", who, "item", "asset", "gross", "commission", "net", "due",
                  title=f"{st.party_name}, {period}")
    for line in st.lines:
        table.add_row(line.date.isoformat(), line.counterparty,
                      line.kind + (f" ({line.channel})" if line.channel else ""),
                      line.asset_id or "-", fmt(line.gross), fmt(line.commission),
                      fmt(line.net), line.due_on.isoformat())
    out.print(table)
    out.print(f"gross {fmt(st.total('gross'))}, commission {fmt(st.total('commission'))}, "
              f"net {fmt(st.total('net'))}")
    for written in (csv_path, pdf_path):
        if written:
            out.print(f"wrote {written}")


# ---------------------------------------------------------------------------- assets


def _read_image_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read ({error})") from None


@asset_app.command("mark")
@handled
def asset_mark(
    licence: Annotated[str, typer.Option(help="Licence id the image is made under")],
    image: Annotated[Path, typer.Option(help="The image (JPEG, PNG or WebP)")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the marked image")],
    source: Annotated[str, typer.Option(help="studio | diffusion | composite (sets the IPTC "
                                             "digital source type)")],
    alteration: Annotated[list[str] | None, typer.Option(
        help="An alteration applied (repeatable)")] = None,
    retouched: Annotated[bool, typer.Option(help="Body shape was retouched")] = False,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Register an image as an asset and mark it: watermark, fingerprints, C2PA manifest."""
    from twinstudio.services.provenance import mark_asset

    data = _read_image_file(image)
    writable_path(out_path)
    result = mark_asset(context(workspace), licence_id=licence, image=data, source=source,
                        alterations=alteration or [], retouched=retouched, actor="operator")
    atomic_write(out_path, result.image)
    summary = {"asset_id": result.asset.id, "code": f"{result.code:08x}",
               "twin_id": result.asset.twin_id, "licence_id": result.asset.licence_id,
               "mime": result.mime, "blob_sha256": result.blob_sha256, "out": str(out_path),
               "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()}}
    if as_json:
        _print_json(summary)
        return
    out.print(f"asset {result.asset.id} marked (code {summary['code']}); wrote {out_path}")


@asset_app.command("rendition")
@handled
def asset_rendition(
    asset_id: Annotated[str, typer.Argument(help="Asset id")],
    channel: Annotated[str, typer.Option(help="Channel of publication")],
    territory: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 territory")],
    category: Annotated[str, typer.Option(help="Product category shown")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the rendition")],
    day: Annotated[str | None, typer.Option("--date", help="Publication date (default "
                                                           "today)")] = None,
    always_label: Annotated[bool, typer.Option(help="Label as AI-generated everywhere")]
    = False,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The rendition to publish: policy-checked, disclosure labels rendered in, signed with
    the master as ingredient."""
    from datetime import date as date_type

    from twinstudio.services.provenance import publication_rendition

    ctx = context(workspace)
    try:
        when = date_type.fromisoformat(day) if day else ctx.today()
    except ValueError:
        raise InvalidInput(f"--date {day!r} is not a date such as 2026-12-01") from None
    writable_path(out_path)
    result = publication_rendition(ctx, asset_id, channel=channel, territory=territory,
                                   day=when, product_category=category,
                                   always_label=always_label, actor="operator")
    atomic_write(out_path, result.image)
    if as_json:
        _print_json({"asset_id": asset_id, "labels": result.labels, "out": str(out_path),
                     "blob_sha256": result.blob_sha256})
        return
    out.print(f"rendition of {asset_id} for {channel}/{territory}: labels "
              f"{result.labels or 'none'}; wrote {out_path}")


@asset_app.command("list")
@handled
def asset_list(licence: Annotated[str | None, typer.Option(help="Only this licence")] = None,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List assets."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        assets = uow.assets.list(licence_id=licence)
    if as_json:
        _print_json([a.model_dump(mode="json") for a in assets])
        return
    table = Table("asset", "twin", "licence", "state", "source", "created")
    for a in assets:
        table.add_row(a.id, a.twin_id, a.licence_id, a.state.value, a.source,
                      a.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@asset_app.command("withdraw")
@handled
def asset_withdraw(asset_id: Annotated[str, typer.Argument(help="Asset id")],
                   reason: Annotated[str, typer.Option(help="Why")] = "withdrawn",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Withdraw an asset: from now on it verifies as 'withdrawn'."""
    from twinstudio.domain.asset import AssetState
    from twinstudio.services.provenance import set_asset_state

    asset = set_asset_state(context(workspace), asset_id, AssetState.WITHDRAWN, reason=reason,
                            actor="operator")
    if as_json:
        _print_json(asset.model_dump(mode="json"))
        return
    out.print(f"asset {asset_id} withdrawn")


@app.command()
@handled
def verify(file: Annotated[Path, typer.Argument(help="Any image file")],
           workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Is this image one of ours, whose twin, which licence, is it still valid?"""
    from twinstudio.services.provenance import verify_image

    result = verify_image(context(workspace), _read_image_file(file))
    if as_json:
        _print_json(result)
        return
    colour = {"licensed": "green", "unknown": "yellow"}.get(result["verdict"], "red")
    out.print(f"[{colour}]{result['verdict']}[/{colour}]: {result['explanation']}")
    for key in ("asset_id", "twin_id", "licence_id"):
        if result[key]:
            out.print(f"  {key}: {result[key]}")
    signals = result["signals"]
    out.print(f"  c2pa: present={signals['c2pa']['present']} valid={signals['c2pa']['valid']} "
              f"trusted={signals['c2pa']['trusted']}", markup=False)
    out.print(f"  watermark: {signals['watermark']['confidence']}"
              f" ({signals['watermark']['variant'] or 'not found'})", markup=False)
    out.print(f"  fingerprint: {signals['fingerprint']['method'] or 'no match'}", markup=False)


# ---------------------------------------------------------------------------- twins

PHOTO_LIMIT = 40


@twin_app.command("enrol")
@handled
def twin_enrol(talent: Annotated[str, typer.Option(help="Talent id")],
               photos: Annotated[Path, typer.Option(help="Folder of capture photos")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check a capture session and enrol the talent's twin (needs a biometric release)."""
    from twinstudio.services.enrolment import enrol_twin

    if not photos.is_dir():
        raise InvalidInput(f"{photos} is not a folder of photos")
    files = sorted(p for p in photos.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InvalidInput(f"{photos} holds no files")
    if len(files) > PHOTO_LIMIT:
        raise InvalidInput(f"{len(files)} files; a capture session has at most {PHOTO_LIMIT}")
    ctx = context(workspace)
    result = enrol_twin(ctx, talent_id=talent,
                        photos=[(p.name, _read_image_file(p)) for p in files],
                        actor=talent)
    if as_json:
        _print_json(result.as_dict())
    else:
        table = Table("photo", "accepted", "view", "reasons")
        for photo in result.photos:
            table.add_row(photo["photo"], "yes" if photo["accepted"] else "no",
                          photo["view"] or "-",
                          "; ".join(r["message"] for r in photo["reasons"]) or "-")
        out.print(table)
        verdict = "enrolled" if result.enrolled else "refused: " + "; ".join(
            r["message"] for r in result.reasons)
        out.print(f"twin {result.twin_id}: {verdict}", markup=False)
    if not result.enrolled:
        raise typer.Exit(3)


@twin_app.command("list")
@handled
def twin_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List twins and their state."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        twins = uow.twins.list()
    if as_json:
        _print_json([t.model_dump(mode="json") for t in twins])
        return
    table = Table("twin", "talent", "state")
    for t in twins:
        table.add_row(t.id, t.talent_id, t.state.value)
    out.print(table)


@twin_app.command("show")
@handled
def twin_show(twin_id: Annotated[str, typer.Argument(help="Twin id")],
              workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a twin: state, biometric key status, templates (never their content)."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        twin = uow.twins.get(twin_id)
        has_key = uow.biometrics.key(twin_id) is not None
        templates = [{"id": i, "kind": k, "retain_until": r.isoformat()}
                     for i, k, _, r in uow.biometrics.templates(twin_id)]
    data = {**twin.model_dump(mode="json"), "biometric_key": has_key, "templates": templates}
    if as_json:
        _print_json(data)
        return
    out.print(f"twin {twin.id} of {twin.talent_id}: {twin.state.value}; biometric key "
              f"{'present' if has_key else 'absent'}; {len(templates)} template(s)")


@twin_app.command("match")
@handled
def twin_match(image: Annotated[Path, typer.Argument(help="Any image")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Which enrolled twins appear in this image?"""
    from twinstudio.services.enrolment import match

    found = match(context(workspace), _read_image_file(image))
    if as_json:
        _print_json(found)
        return
    if not found:
        out.print("no enrolled twin found")
    for m in found:
        out.print(f"{m['twin_id']}  distance {m['distance']}")


# ---------------------------------------------------------------------------- roster


@roster_app.command("build")
@handled
def roster_build(count: Annotated[int, typer.Option(min=1, max=500)] = 30,
                 seed: Annotated[int, typer.Option()] = 7,
                 renderer: Annotated[str, typer.Option(
                     help="raster (fast) or cycles (physically based preview)")] = "raster",
                 enrol: Annotated[bool, typer.Option(
                     "--enrol", help="also record a biometric release for each talent and "
                                     "enrol their captures (as 'twin enrol' does)")] = False,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Create synthetic talents: bodies fitted to measurements and capture sets (cached)."""
    from rich.progress import Progress

    from twinstudio.demo.roster import build_roster, enrol_roster

    ctx = context(workspace)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("roster", total=count)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        entries = build_roster(ctx, workspace, count=count, seed=seed, renderer=renderer,
                               progress=progress)
        enrolments = enrol_roster(ctx, entries, actor="roster", progress=progress) if enrol \
            else [None] * len(entries)
    with ctx.uow() as uow:
        states = {e.talent_id: uow.twins.get_by_talent(e.talent_id).state.value
                  for e in entries}
    rows = [{"index": e.index, "name": e.name, "talent_id": e.talent_id,
             "twin_state": states[e.talent_id],
             "enrolment": None if r is None else r.as_dict(),
             "captures": {k: str(v) for k, v in e.captures.items()},
             "fit_errors_mm": {str(m["measurement"]): m["error_mm"]
                               for m in e.fit["measurements"] if "error_mm" in m}}
            for e, r in zip(entries, enrolments, strict=True)]
    refused = [row for row in rows if row["enrolment"] and not row["enrolment"]["enrolled"]]
    if as_json:
        _print_json(rows)
    else:
        table = Table("#", "name", "talent", "twin", "worst fit error (mm)")
        for row in rows:
            worst = max((abs(v) for v in row["fit_errors_mm"].values()), default=0.0)
            state = row["twin_state"] + (
                " (" + "; ".join(r["code"] for r in row["enrolment"]["reasons"]) + ")"
                if row in refused else "")
            table.add_row(str(row["index"]), row["name"], row["talent_id"], state,
                          f"{worst:.1f}")
        out.print(table)
    if refused:
        raise typer.Exit(3)


@roster_app.command("sheet")
@handled
def roster_sheet(out_path: Annotated[Path, typer.Option("--out", help="PNG to write")],
                 count: Annotated[int, typer.Option(min=1, max=500)] = 30,
                 seed: Annotated[int, typer.Option()] = 7,
                 workspace: Workspace = DEFAULT_WS) -> None:
    """A contact sheet of the roster's front captures (builds what is missing)."""
    from twinstudio.demo.roster import build_roster, contact_sheet

    writable_path(out_path)
    entries = build_roster(context(workspace), workspace, count=count, seed=seed)
    out.print(f"wrote {contact_sheet(entries, out_path)}")


@app.command()
@handled
def demo(workspace: Workspace = Path("demo-workspace"),
         reset: Annotated[bool, typer.Option(help="Delete the workspace first")] = False,
         campaign_size: Annotated[int, typer.Option(
             min=0, max=500, help="Images of the demo campaign (0: no campaign)")] = 64,
         as_json: JsonFlag = False) -> None:
    """Build a demo workspace (30 talents, 3 brands), decide a set of uses, run a campaign
    of rights-checked images, approve and publish part of it."""
    from twinstudio.demo.run import run_demo

    run_demo(workspace, reset=reset, console=out, as_json=as_json,
             campaign_size=campaign_size)


def _register_generation() -> None:
    # cli_generation registers its commands on this module's apps when it is imported
    # (whichever of the two modules is imported first)
    import twinstudio.cli_generation  # noqa: F401


if __name__ != "__main__":  # run as a script, the importable module registers them below
    _register_generation()


# ---------------------------------------------------------------------------- accounts


@user_app.command("add")
@handled
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
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(ctx, email=email, name=name or email, role=role, password=password,
                    organisation_id=organisation, talent_id=talent)
    data = user.model_dump(mode="json", exclude={"password_hash"})
    if as_json:
        _print_json(data)
        return
    out.print(f"user {user.id} {user.email} ({user.role.value})", markup=False)


@user_app.command("list")
@handled
def user_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List users (never their password hashes)."""
    ctx = context(workspace)
    with ctx.uow() as uow:
        users = uow.users.list()
    if as_json:
        _print_json([u.model_dump(mode="json", exclude={"password_hash"}) for u in users])
        return
    table = Table("user", "email", "role", "organisation", "talent", "active")
    for u in users:
        table.add_row(u.id, u.email, u.role.value, u.organisation_id or "-",
                      u.talent_id or "-", "yes" if u.active else "no")
    out.print(table)


@apikey_app.command("create")
@handled
def apikey_create(
    user: Annotated[str, typer.Option(help="The user's email (the key acts as them)")],
    name: Annotated[str, typer.Option(help="What the key is for")] = "api",
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Create an API key. It is printed once; only its hash is stored."""
    from twinstudio.services.accounts import create_api_key

    created = create_api_key(context(workspace), email=user, name=name)
    if as_json:
        _print_json({"key_id": created.key.id, "user_id": created.key.user_id,
                     "name": created.key.name, "api_key": created.secret})
        return
    out.print(f"API key {created.key.id} for {user}; send it as the X-API-Key header. "
              "It is shown only now:", markup=False)
    out.print(created.secret, markup=False, highlight=False)


@apikey_app.command("revoke")
@handled
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="Key id")],
                  workspace: Workspace = DEFAULT_WS) -> None:
    """Revoke an API key at once."""
    from twinstudio.services.accounts import revoke_api_key

    revoke_api_key(context(workspace), key_id, actor="operator")
    out.print(f"API key {key_id} revoked")


@app.command()
@handled
def serve(workspace: Workspace = DEFAULT_WS,
          host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000) -> None:
    """Serve the web portal (/) and the REST API (/api/v1, docs at /api/v1/docs)."""
    import uvicorn

    from twinstudio.config import Settings
    from twinstudio.jobs.background import ExecutorRunner
    from twinstudio.web.app import create_site

    # campaigns started from the portal or the API run in worker processes
    site = create_site(context(workspace),
                       runner=ExecutorRunner(Settings(workspace=workspace)))
    out.print(f"twinstudio on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs)")
    uvicorn.run(site, host=host, port=port, log_level="info", proxy_headers=False)


def main() -> None:
    app()


if __name__ == "__main__":
    # ``python -m twinstudio.cli``: run the importable module's app, which has every command
    from twinstudio.cli import main as importable_main

    importable_main()
