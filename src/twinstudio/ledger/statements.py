"""Render statements as CSV and PDF (reportlab; the earnings chart is drawn by matplotlib).

Files are written to a temporary name and renamed, so a reader never sees half a file.
The PDF uses DejaVu Sans (shipped inside matplotlib) so that every talent's name renders,
whatever its script coverage in Latin, Greek or Cyrillic.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from twinstudio.domain.money import Money
from twinstudio.fileio import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from twinstudio.domain.statements import Statement

ThumbnailSource = Callable[[str], Path | None]

CSV_COLUMNS = ["transaction_id", "date", "counterparty_id", "counterparty", "licence_id",
               "kind", "channel", "asset_id", "gross", "commission", "platform_fee", "net",
               "currency", "due_on"]


def write_csv(statement: Statement, path: Path) -> None:
    """One row per transaction (amounts in integer minor units), then a TOTAL row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow([line.transaction_id, line.date.isoformat(), line.counterparty_id,
                         line.counterparty, line.licence_id, line.kind, line.channel or "",
                         line.asset_id or "", line.gross, line.commission, line.platform_fee,
                         line.net, statement.currency, line.due_on.isoformat()])
    writer.writerow(["TOTAL", statement.period, "", "", "", "", "", "",
                     statement.total("gross"), statement.total("commission"),
                     statement.total("platform_fee"), statement.total("net"),
                     statement.currency, ""])
    atomic_write(path, buffer.getvalue().encode("utf-8"))


def _chart_png(statement: Statement) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    months = [m for m, _ in statement.history]
    values = [v / 10 ** _digits(statement.currency) for _, v in statement.history]
    fig, ax = plt.subplots(figsize=(7.0, 2.4), dpi=150)
    colors = ["#2f6f5e" if m != statement.period else "#c0392b" for m in months]
    ax.bar(range(len(months)), values, color=colors)
    ax.set_xticks(range(len(months)), [m[2:] for m in months], fontsize=7)
    label = "net earnings" if statement.party_kind == "talent" else "amount owed"
    ax.set_ylabel(f"{label} ({statement.currency})", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"{label.capitalize()} per month, 12 months to {statement.period}",
                 fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _digits(currency: str) -> int:
    from twinstudio.domain.iso_codes import ISO_4217_MINOR_UNITS

    return ISO_4217_MINOR_UNITS[currency]


def _font() -> str:
    from matplotlib import get_data_path
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        fonts = Path(get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans"


def write_pdf(statement: Statement, path: Path,
              thumbnail: ThumbnailSource | None = None) -> None:
    """A readable statement: totals, due dates, a 12-month chart, per-counterparty and
    per-channel sums, every line (with the asset's thumbnail where one exists) and the
    licence terms that priced them."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _font()
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=font, fontSize=8.5,
                          leading=11)
    h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontName="DejaVuSans-Bold",
                        fontSize=15)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontName="DejaVuSans-Bold",
                        fontSize=10.5, spaceBefore=8)
    cur = statement.currency

    def money(amount: int) -> str:
        return Money(amount=amount, currency=cur).format()

    def number(amount: int) -> str:  # in tables whose header names the currency
        return money(amount).rsplit(" ", 1)[0]

    def table(rows: list[list[object]], widths: list[float], numeric_from: int) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), font, 7.5),
            ("FONT", (0, 0), (-1, 0), "DejaVuSans-Bold", 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eeec")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.HexColor("#2f6f5e")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
            ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return t

    talent = statement.party_kind == "talent"
    title = ("Earnings statement" if talent else "Brand statement") + f": {statement.party_name}"
    story: list[object] = [
        Paragraph(title, h1),
        Paragraph(f"Period {statement.period} · currency {cur} · {statement.party_id}", body),
        Spacer(1, 4 * mm),
    ]
    summary = [["", "amount"],
               ["Gross (fees under the licences)", money(statement.total("gross"))],
               ["Agency commission", money(statement.total("commission"))],
               ["Platform fee", money(statement.total("platform_fee"))],
               ["Net to the talent", money(statement.total("net"))]]
    story += [table(summary, [90 * mm, 40 * mm], 1), Spacer(1, 3 * mm)]
    due = [["due on", "amount"]] + [[d, money(a)] for d, a in statement.due_dates.items()]
    if len(due) > 1:
        story += [Paragraph("Payment due", h2), table(due, [40 * mm, 40 * mm], 1)]
    story += [Paragraph("Over time", h2),
              Image(io.BytesIO(_chart_png(statement)), width=170 * mm, height=58 * mm)]
    who = "brand" if talent else "talent"
    amount_key = "net" if talent else "gross"
    by_party = [[who, amount_key]] + [[k, money(v)] for k, v in
                                      statement.by("counterparty", amount_key).items()]
    by_channel = [["channel", "net"]] + [[k if k != "-" else "(not a publication)", money(v)]
                                         for k, v in statement.by("channel").items()]
    story += [Paragraph(f"By {who}", h2), table(by_party, [90 * mm, 40 * mm], 1),
              Paragraph("By channel", h2), table(by_channel, [90 * mm, 40 * mm], 1)]

    small = ParagraphStyle("small", parent=body, fontSize=7, leading=8.5)
    rows: list[list[object]] = [["", "date", who, "item", "asset", "gross", "comm.", "net",
                                 "due"]]
    for line in statement.lines:
        thumb: object = ""
        if line.asset_id and thumbnail is not None:
            found = thumbnail(line.asset_id)
            if found is not None and found.exists():
                thumb = Image(str(found), width=12 * mm, height=15 * mm, kind="proportional")
        item = line.kind + (f" ({line.channel})" if line.channel else "")
        rows.append([thumb, line.date.isoformat(), Paragraph(line.counterparty, small),
                     Paragraph(item, small), Paragraph(line.asset_id or "-", small),
                     number(line.gross), number(line.commission), number(line.net),
                     line.due_on.isoformat()])
    story += [Paragraph(f"Every item (amounts in {cur})", h2),
              table(rows, [13 * mm, 17 * mm, 27 * mm, 29 * mm, 32 * mm, 16 * mm, 14 * mm,
                           16 * mm, 17 * mm], 5)]
    if statement.licence_terms:
        story.append(Paragraph("Licence terms applied", h2))
        for licence_id, terms in statement.licence_terms.items():
            fees = terms["fees"]
            per_pub = ", ".join(f"{ch} {money(v)}" for ch, v in fees["per_publication"].items())
            story.append(Paragraph(
                f"<b>{licence_id}</b> ({terms['brand']}, {terms['starts']} to {terms['ends']}):"
                f" per asset {money(fees['per_asset'])}; per publication {per_pub or 'none'};"
                f" flat fee {money(fees['flat_fee'])}; monthly minimum guarantee "
                f"{money(fees['minimum_guarantee'])}; agency commission "
                f"{fees['agency_commission_percent']} %; payment within "
                f"{fees['payment_terms_days']} days.", body))
    story += [Spacer(1, 4 * mm), Paragraph(
        "Commission and platform fee are rounded down to the minor unit; any fraction stays "
        "with the talent. Corrections appear as reversals, never as edits.", body)]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=title,
                            author="twinstudio")
    doc.build(story)
    atomic_write(path, buffer.getvalue())
