"""The ``twinstudio`` command line (Typer + Rich): the app and its error handling in
``_app``, one module per command group. Importing this package registers every command,
whatever was imported first."""

# isort: off
# The order of these imports is the order in which `twinstudio --help` lists the commands
# and groups (tests/e2e/test_cli_help.py pins it).
from twinstudio.cli import (  # noqa: F401  (each registers its commands on the app)
    workspace,
    accounts,
    parties,
    rights,
    ledger,
    integrity,
    assets,
    twins,
    training,
    proposals,
    campaigns,
    models,
    webhooks,
    serve,
)
# isort: on
from twinstudio.cli._app import app, context, main

__all__ = ["app", "context", "main"]
