"""Rights: consents, biometric releases, licences, policy checks, the audit chain and expiry."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    app,
    context,
    group,
    load_model,
    out,
    print_json,
)

consent_app = group("Digital replica consents signed by talents.")
biometrics_app = group("Biometric releases (BIPA / GDPR Art. 9).")
licence_app = group("Licences of twins to brands.")
policy_app = group("Decide proposed uses.")
audit_app = group("The tamper-evident audit chain.")
rights_app = group("Expiry of consents and licences.")
app.add_typer(consent_app, name="consent")
app.add_typer(biometrics_app, name="biometrics")
app.add_typer(licence_app, name="licence")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(rights_app, name="rights")


# ---------------------------------------------------------------------------- consent


@consent_app.command("grant")
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
        print_json(consent.model_dump(mode="json"))
        return
    out.print(f"consent {consent.id} signed by {talent}, {doc.starts} to {doc.ends}")


@consent_app.command("revoke")
def consent_revoke(consent_id: Annotated[str, typer.Argument(help="Consent id")],
                   reason: Annotated[str, typer.Option(help="Why (kept in the audit chain)")]
                   = "revoked by the talent",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a consent: its licences are suspended, queued work withdrawn."""
    from twinstudio.services.rights import revoke_consent

    result = revoke_consent(context(workspace), consent_id, reason=reason)
    if as_json:
        print_json({"consent_id": consent_id, "state": "revoked",
                     "suspended_licences": result.suspended_licences,
                     "withdrawn": result.withdrawn_as_json()})
        return
    out.print(f"consent {consent_id} revoked; suspended licences: "
              f"{', '.join(result.suspended_licences) or 'none'}")


@consent_app.command("show")
def consent_show(consent_id: Annotated[str, typer.Argument(help="Consent id")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a consent and whether its signature verifies."""
    from twinstudio.services.rights import get_consent, verify_consent

    ctx = context(workspace)
    consent = get_consent(ctx, consent_id)
    report = verify_consent(ctx, consent_id)
    data = {**consent.model_dump(mode="json"), "verification": report.as_dict()}
    if as_json:
        print_json(data)
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
def consent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List consents."""
    from twinstudio.services.rights import list_consents

    consents = list_consents(context(workspace))
    if as_json:
        print_json([c.model_dump(mode="json") for c in consents])
        return
    table = Table("consent", "talent", "state", "starts", "ends")
    for c in consents:
        table.add_row(c.id, c.talent_id, c.state.value, str(c.document.starts),
                      str(c.document.ends))
    out.print(table)


# ---------------------------------------------------------------------------- biometrics


@biometrics_app.command("release")
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
        print_json(release.model_dump(mode="json"))
        return
    out.print(f"biometric release {release.id} signed by {talent} "
              f"(retention {doc.retention_days} days)")


@biometrics_app.command("revoke")
def biometrics_revoke(release_id: Annotated[str, typer.Argument(help="Release id")],
                      workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a biometric release."""
    from twinstudio.services.rights import revoke_biometric_release

    release = revoke_biometric_release(context(workspace), release_id)
    if as_json:
        print_json(release.model_dump(mode="json"))
        return
    out.print(f"biometric release {release_id} revoked")


@biometrics_app.command("purge")
def biometrics_purge(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Crypto-shred biometric templates whose retention date has passed (run daily)."""
    from twinstudio.services.biometrics import purge_expired

    twins = purge_expired(context(workspace), actor="operator")
    if as_json:
        print_json({"shredded_twins": twins})
        return
    out.print(f"shredded the biometric data of {len(twins)} twin(s)")


# ---------------------------------------------------------------------------- licence


@licence_app.command("grant")
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
        print_json(licence.model_dump(mode="json"))
        return
    out.print(f"licence {licence.id}: twin {twin} to brand {brand}, "
              f"{parsed.starts} to {parsed.ends}")


@licence_app.command("revoke")
def licence_revoke(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                   reason: Annotated[str, typer.Option(help="Why")] = "revoked",
                   by: Annotated[str, typer.Option(help="Who revokes (talent or brand id)")]
                   = "operator",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a licence; the twin's queued work under it is withdrawn."""
    from twinstudio.services.rights import revoke_licence

    result = revoke_licence(context(workspace), licence_id, reason=reason, actor=by)
    if as_json:
        print_json({"licence_id": licence_id, "state": "revoked",
                     "withdrawn": result.withdrawn_as_json()})
        return
    out.print(f"licence {licence_id} revoked")


@licence_app.command("show")
def licence_show(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a licence, its terms and whether its signatures verify."""
    from twinstudio.services.rights import get_licence, verify_licence

    ctx = context(workspace)
    licence = get_licence(ctx, licence_id)
    report = verify_licence(ctx, licence_id)
    if as_json:
        print_json({**licence.model_dump(mode="json"), "verification": report.as_dict()})
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
def licence_list(brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
                 twin: Annotated[str | None, typer.Option(help="Only this twin")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List licences."""
    from twinstudio.services.rights import list_licences

    licences = list_licences(context(workspace), brand_id=brand, twin_id=twin)
    if as_json:
        print_json([lic.model_dump(mode="json") for lic in licences])
        return
    table = Table("licence", "twin", "brand", "state", "period", "channels", "territories")
    for lic in licences:
        table.add_row(lic.id, lic.twin_id, lic.brand_id, lic.state.value,
                      f"{lic.terms.starts}..{lic.terms.ends}", ",".join(lic.terms.channels),
                      ",".join(lic.terms.territories))
    out.print(table)


@licence_app.command("verify")
def licence_verify(licence_id: Annotated[str, typer.Argument(help="Licence id")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check the licence still matches what both parties signed (exit 4 if not)."""
    from twinstudio.services.rights import verify_licence

    report = verify_licence(context(workspace), licence_id)
    if as_json:
        print_json(report.as_dict())
    else:
        out.print(f"licence {licence_id}: " + ("signatures valid" if report.valid
                                               else f"INVALID {report.as_dict()}"))
    if not report.valid:
        raise typer.Exit(4)


# ---------------------------------------------------------------------------- policy


@policy_app.command("check")
def policy_check(licence: Annotated[str, typer.Option(help="Licence id")],
                 use: Annotated[Path, typer.Option(help="Proposed use JSON")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Decide a proposed use: allowed, or every reason it is not."""
    from twinstudio.domain.policy import ProposedUse
    from twinstudio.services.rights import check_use

    decision = check_use(context(workspace), licence, load_model(use, ProposedUse))
    if as_json:
        print_json(decision.model_dump(mode="json"))
        return
    if decision.allowed:
        out.print("[green]allowed[/green]")
    else:
        out.print("[red]refused[/red]")
        for reason in decision.reasons:
            out.print(f"  - {reason.code}: {reason.message}", markup=False, highlight=False)


# ---------------------------------------------------------------------------- audit & rights


@audit_app.command("verify")
def audit_verify(expect_head: Annotated[str | None, typer.Option(
                     help="A head 'SEQ:HASH' published earlier (detects truncation)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Verify the audit chain; name the first bad sequence number (exit 4 if broken)."""
    from twinstudio.services.audit import verify_audit

    report = verify_audit(context(workspace), expect_head)
    if as_json:
        print_json(report.model_dump(mode="json"))
    elif report.ok:
        out.print(f"audit chain ok: {report.events} events, head "
                  f"{report.head_seq}:{report.head_hash}")
    else:
        out.print(f"[red]audit chain broken at sequence {report.first_bad_seq}[/red]: "
                  f"{report.problem}")
    if not report.ok:
        raise typer.Exit(4)


@audit_app.command("show")
def audit_show(limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show the most recent audit events."""
    from twinstudio.services.audit import recent_events

    events = recent_events(context(workspace), limit)
    if as_json:
        print_json([e.model_dump(mode="json") for e in events])
        return
    table = Table("seq", "at", "actor", "type", "payload")
    for e in events:
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.type,
                      json.dumps(e.payload, ensure_ascii=False)[:90])
    out.print(table)


@rights_app.command("sweep")
def rights_sweep(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Expire consents and licences whose end date has passed (run daily)."""
    from twinstudio.services.rights import expire_rights

    expired = expire_rights(context(workspace))
    if as_json:
        print_json(expired.as_dict())
        return
    out.print(f"expired {len(expired.consents)} consent(s), {len(expired.licences)} licence(s)")
