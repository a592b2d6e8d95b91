"""Rights: consents, biometric releases, licences, policy checks, the audit chain and expiry."""

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    BrandId,
    JsonFlag,
    LicenceId,
    OnlyBrand,
    Operator,
    Why,
    Workspace,
    context,
    group,
    load_model,
    operator_name,
    out,
    print_fields,
    print_json,
    print_list,
    print_result,
)

consent_app = group("consent", "Digital replica consents signed by talents.")
biometrics_app = group("biometrics", "Biometric releases (BIPA / GDPR Art. 9).")
licence_app = group("licence", "Licences of twins to brands: proposed by the brand, "
                                "accepted by the talent's side (or granted by the operator).")
policy_app = group("policy", "Decide proposed uses.")
audit_app = group("audit", "The tamper-evident audit chain.")
rights_app = group("rights", "Expiry of consents, licences and licence proposals.")

SigningTalent = Annotated[str, typer.Option(help="Talent id (the talent signs themself).")]
ConsentArg = Annotated[str, typer.Argument(help="Consent id")]
LicenceArg = Annotated[str, typer.Argument(help="Licence id")]


Fields = Iterable[tuple[str, str]]


def _show_signed(workspace: Path, record_id: str, get: Callable[[Any, str], Any],
                 verify: Callable[[Any, str], Any],
                 fields: Callable[[Any, Any], Fields], *, as_json: bool) -> None:
    """``show`` of a signed record (consent, licence): with ``--json`` the record and the
    check of its signatures under ``verification``, otherwise the ``fields`` table."""
    ctx = context(workspace)
    record = get(ctx, record_id)
    report = verify(ctx, record_id)
    if as_json:
        print_json({**record.model_dump(mode="json"), "verification": report.as_dict()})
        return
    print_fields(fields(record, report))


# ---------------------------------------------------------------------------- consent


@consent_app.command("grant")
def consent_grant(
    talent: SigningTalent,
    document: Annotated[Path, typer.Option(help="Consent JSON: purpose, scope, rate_of_pay, "
                                                "starts, ends, language.")],
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The talent signs a digital replica consent (NY Fashion Workers Act)."""
    from twinstudio.domain.consent import ConsentDocument
    from twinstudio.services.rights import grant_consent

    doc = load_model(document, ConsentDocument)
    consent = grant_consent(context(workspace), talent_id=talent, document=doc)
    print_result(consent.model_dump(mode="json"),
                 f"consent {consent.id} signed by {talent}, {doc.starts} to {doc.ends}",
                 as_json=as_json)


@consent_app.command("revoke")
def consent_revoke(consent_id: ConsentArg,
                   reason: Annotated[str, typer.Option(help="Why (kept in the audit chain)")]
                   = "revoked by the talent",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a consent: its licences are suspended, queued work withdrawn."""
    from twinstudio.services.rights import revoke_consent

    result = revoke_consent(context(workspace), consent_id, reason=reason)
    print_result(result.as_dict(),
                 f"consent {consent_id} revoked; suspended licences: "
                 f"{', '.join(result.suspended_licences) or 'none'}", as_json=as_json)


@consent_app.command("show")
def consent_show(consent_id: ConsentArg,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a consent and whether its signature verifies."""
    from twinstudio.services.rights import get_consent, verify_consent

    def fields(consent: Any, report: Any) -> Fields:
        d = consent.document
        return (
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
        )

    _show_signed(workspace, consent_id, get_consent, verify_consent, fields, as_json=as_json)


@consent_app.command("list")
def consent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List consents."""
    from twinstudio.services.rights import list_consents

    print_list(list_consents(context(workspace)), as_json=as_json,
               columns=("consent", "talent", "state", "starts", "ends"),
               row=lambda c: (c.id, c.talent_id, c.state.value, str(c.document.starts),
                              str(c.document.ends)))


# ---------------------------------------------------------------------------- biometrics


@biometrics_app.command("release")
def biometrics_release(
    talent: SigningTalent,
    document: Annotated[Path, typer.Option(help="Release JSON: purpose, retention_days, "
                                                "written_release, explicit_consent, language")],
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The talent signs a biometric release (needed before enrolment)."""
    from twinstudio.domain.consent import BiometricReleaseDocument
    from twinstudio.services.rights import grant_biometric_release

    doc = load_model(document, BiometricReleaseDocument)
    release = grant_biometric_release(context(workspace), talent_id=talent, document=doc)
    print_result(release.model_dump(mode="json"), f"biometric release {release.id} signed by "
                 f"{talent} (retention {doc.retention_days} days)", as_json=as_json)


@biometrics_app.command("revoke")
def biometrics_revoke(release_id: Annotated[str, typer.Argument(help="Release id")],
                      workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a biometric release."""
    from twinstudio.services.rights import revoke_biometric_release

    release = revoke_biometric_release(context(workspace), release_id)
    print_result(release.model_dump(mode="json"), f"biometric release {release_id} revoked",
                 as_json=as_json)


@biometrics_app.command("purge")
def biometrics_purge(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Crypto-shred biometric templates whose retention date has passed (run daily)."""
    from twinstudio.services.biometrics import purge_expired

    twins = purge_expired(context(workspace), actor="operator")
    print_result({"shredded_twins": twins},
                 f"shredded the biometric data of {len(twins)} twin(s)", as_json=as_json)


# ---------------------------------------------------------------------------- licence


@licence_app.command("grant")
def licence_grant(
    twin: Annotated[str, typer.Option(help="Twin id")],
    brand: BrandId,
    terms: Annotated[Path, typer.Option(help="Licence terms JSON")],
    consent: Annotated[str | None, typer.Option(help="Consent id (default: the active consent "
                                                     "that covers the terms)")] = None,
    operator: Operator = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """The operator's path: grant a licence at once, for both parties (audited as such).

    Signed for the talent and the brand with their keys in this workspace, audited as
    operator:NAME acting on behalf of both; refused with every reason (exit 3). Brands
    otherwise propose and the talent's side accepts: licence propose / accept,
    POST /api/v1/licences, the portal."""
    from twinstudio.domain.licence import LicenceTerms
    from twinstudio.services.proposals import grant_as_operator

    parsed = load_model(terms, LicenceTerms)
    licence = grant_as_operator(context(workspace), twin_id=twin, brand_id=brand,
                                terms=parsed, consent_id=consent,
                                operator=operator_name(operator))
    print_result(licence.model_dump(mode="json"), f"licence {licence.id}: twin {twin} to brand "
                 f"{brand}, {parsed.starts} to {parsed.ends}", as_json=as_json)


@licence_app.command("revoke")
def licence_revoke(licence_id: LicenceArg,
                   reason: Why = "revoked",
                   by: Annotated[str, typer.Option(help="Who revokes (talent or brand id)")]
                   = "operator",
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Revoke a licence; the twin's queued work under it is withdrawn."""
    from twinstudio.services.rights import revoke_licence

    result = revoke_licence(context(workspace), licence_id, reason=reason, actor=by)
    print_result(result.as_dict(), f"licence {licence_id} revoked", as_json=as_json)


@licence_app.command("show")
def licence_show(licence_id: LicenceArg,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a licence, its terms and whether its signatures verify."""
    from twinstudio.services.rights import get_licence, verify_licence

    def fields(licence: Any, report: Any) -> Fields:
        t = licence.terms
        return (
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
        )

    _show_signed(workspace, licence_id, get_licence, verify_licence, fields, as_json=as_json)


@licence_app.command("list")
def licence_list(brand: OnlyBrand = None,
                 twin: Annotated[str | None, typer.Option(help="Only this twin")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List licences."""
    from twinstudio.services.rights import list_licences

    print_list(list_licences(context(workspace), brand_id=brand, twin_id=twin), as_json=as_json,
               columns=("licence", "twin", "brand", "state", "period", "channels",
                        "territories"),
               row=lambda lic: (lic.id, lic.twin_id, lic.brand_id, lic.state.value,
                                f"{lic.terms.starts}..{lic.terms.ends}",
                                ",".join(lic.terms.channels), ",".join(lic.terms.territories)))


@licence_app.command("verify")
def licence_verify(licence_id: LicenceArg,
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
def policy_check(licence: LicenceId,
                 use: Annotated[Path, typer.Option(help="Proposed use JSON")],
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Decide a proposed use: allowed (exit 0), or refused with every reason (exit 3)."""
    from twinstudio.domain.policy import ProposedUse
    from twinstudio.services.rights import check_use

    decision = check_use(context(workspace), licence, load_model(use, ProposedUse))
    if as_json:
        print_json(decision.model_dump(mode="json"))
    elif decision.allowed:
        out.print("[green]allowed[/green]")
    else:
        out.print("[red]refused[/red]")
        for reason in decision.reasons:
            out.print(f"  - {reason.code}: {reason.message}", markup=False, highlight=False)
    if not decision.allowed:
        raise typer.Exit(3)


# ---------------------------------------------------------------------------- audit & rights


@audit_app.command("verify")
def audit_verify(expect_head: Annotated[str | None, typer.Option(
                     help="A head 'SEQ:HASH' published earlier (detects truncation)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Verify the audit chain and its signed checkpoints; name the first bad sequence
    number (exit 4 if broken)."""
    from twinstudio.services.audit import verify_audit

    report = verify_audit(context(workspace), expect_head)
    if as_json:
        print_json(report.model_dump(mode="json"))
    elif report.ok:
        anchors = (f"; anchored by {report.checkpoints} signed checkpoint(s) up to event "
                   f"{report.anchored_seq}" if report.checkpoints else "; no signed checkpoints")
        out.print(f"audit chain ok: {report.events} events, head "
                  f"{report.head_seq}:{report.head_hash}{anchors}")
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

    print_list(recent_events(context(workspace), limit), as_json=as_json,
               columns=("seq", "at", "actor", "type", "payload"),
               row=lambda e: (str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.type,
                              json.dumps(e.payload, ensure_ascii=False)[:90]))


@rights_app.command("sweep")
def rights_sweep(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Expire consents and licences whose end date has passed, and licence proposals left
    unanswered (run daily)."""
    from twinstudio.services.rights import expire_rights

    expired = expire_rights(context(workspace))
    print_result(expired.as_dict(), f"expired {len(expired.consents)} consent(s), "
                 f"{len(expired.licences)} licence(s), {len(expired.proposals)} licence "
                 "proposal(s)", as_json=as_json)
