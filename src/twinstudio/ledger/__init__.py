"""Statement documents (CSV, PDF with a chart) rendered from the billing services' data."""

from twinstudio.ledger.statements import write_csv, write_pdf

__all__ = ["write_csv", "write_pdf"]
