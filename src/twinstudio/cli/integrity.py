"""``integrity check``: the audit chain and its signed checkpoints, the documents'
signatures, licence state and usage, and the ledger, all against the audit chain."""

import typer

from twinstudio.cli._app import DEFAULT_WS, JsonFlag, Workspace, context, group, out, print_json

integrity_app = group("integrity", "Prove that nothing was tampered with.")


@integrity_app.command("check")
def integrity_check(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check everything tampering must get past (exit 4 naming the first bad row).

    The audit chain (links, hashes, and the signed checkpoints kept in the workspace, so
    that a rewritten chain or deleted newest events fail); every consent, biometric release
    and licence against its signed hash and signers; licence state and assets used,
    consent and release state against the audit chain; the ledger's balance and each
    transaction against the audit event of its posting (exactly one each way).
    """
    from twinstudio.services.integrity import check_integrity

    report = check_integrity(context(workspace))
    if as_json:
        print_json(report.as_dict())
    elif report.first is None:
        out.print(report.summary(), markup=False, highlight=False)
    else:
        out.print(f"integrity broken: {report.first.line()}", markup=False, highlight=False)
        more = len(report.problems) - 1
        if more:
            out.print(f"({more} more problem(s); --json lists them all)", markup=False,
                      highlight=False)
    if not report.ok:
        raise typer.Exit(4)
