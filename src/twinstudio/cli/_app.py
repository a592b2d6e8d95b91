"""The Typer app, the output helpers and the error handling, written once.

Every command takes ``--workspace DIR`` (default ``./twinstudio-data`` or
``TWINSTUDIO_WORKSPACE``); read commands take ``--json``. Bad input (unreadable or invalid
JSON, unknown codes, unknown ids) prints one line on stderr (one line per failed field
when a document or the options fail validation), exits 2 and changes nothing.
A rights refusal exits 3 and lists every reason. A failed integrity check exits 4.

``TwinTyper`` is the app and every command group: it shows its help when called without
a command and wraps every command it registers in ``handled``. The command groups live in
one module each and register themselves on ``app``; this module imports none of them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from twinstudio.domain.errors import (
    ConfigurationError,
    IntegrityError,
    InvalidInput,
    RightsRefused,
    TwinStudioError,
)

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Workspace = Annotated[Path, typer.Option(
    "--workspace", "-w", envvar="TWINSTUDIO_WORKSPACE",
    help="Workspace folder (SQLite database, keys).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_WS = Path("twinstudio-data")

# options that several command groups declare alike (give the default where they are used)
BrandId = Annotated[str, typer.Option(help="Brand id")]
OnlyBrand = Annotated[str | None, typer.Option(help="Only this brand")]
LicenceId = Annotated[str, typer.Option(help="Licence id")]
Why = Annotated[str, typer.Option(help="Why")]
# the workspace operator acting for a party (licence grant, propose, accept, ...)
Operator = Annotated[str | None, typer.Option(
    help="Who runs this, recorded in the audit chain as operator:NAME acting on behalf of "
         "the party (default: your login name)")]


def operator_name(given: str | None) -> str:
    """``--operator``, else the login name, else ``operator``."""
    import getpass

    if given:
        return given
    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):  # no login name in this environment (a container)
        return "operator"


# ---------------------------------------------------------------------------- errors


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
                print_json({"error": error.code, "message": error.message,
                            "reasons": [r.model_dump() for r in error.reasons]})
            err.print(f"[red]refused:[/red] {error.message}", highlight=False)
            for reason in error.reasons:
                err.print(f"  - {reason.code}: {reason.message}", highlight=False, markup=False)
            raise typer.Exit(3) from None
        except InvalidInput as error:
            for line in error.lines():
                err.print(f"error: {line}", highlight=False, markup=False)
            raise typer.Exit(2) from None
        except ValidationError as error:  # options a service validated as a model
            for line in InvalidInput.of(error).lines():
                err.print(f"error: {line}", highlight=False, markup=False)
            raise typer.Exit(2) from None
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


class TwinTyper(typer.Typer):
    """A Typer app or command group of twinstudio: without a command it prints its help,
    and every command registered on it runs inside ``handled``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        register = super().command(*args, **kwargs)

        def decorator(func: F) -> F:
            # the wrapper is what the name refers to, as with a hand-written @handled
            # (a docstring set on it afterwards is the command's help)
            return register(handled(func))  # type: ignore[no-any-return]

        return decorator


app = TwinTyper(help="twinstudio: digital twins that the talent owns.",
                pretty_exceptions_enable=False, add_completion=False)


def group(name: str, help: str) -> TwinTyper:
    """A command group ``twinstudio NAME ...``, added to the app (in the order created)."""
    sub = TwinTyper(help=help)
    app.add_typer(sub, name=name)
    return sub


@app.callback()
def _root(verbose: Annotated[bool, typer.Option(
        "--verbose", help="Let native libraries (MediaPipe, TF Lite, Warp) log to the "
                          "terminal; also TWINSTUDIO_LOG=debug.")] = False) -> None:
    from twinstudio import logs

    if verbose:
        # the environment, so that worker processes (spawned) are verbose too
        os.environ["TWINSTUDIO_LOG"] = "debug"
    logs.configure()


# ---------------------------------------------------------------------------- input and output


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def model_json(item: BaseModel) -> Any:
    return item.model_dump(mode="json")


def print_result(data: Any, text: str, *, as_json: bool, **style: Any) -> None:
    """With ``--json`` print ``data``, otherwise the line ``text`` (``style``: the flags of
    Rich's ``print``, e.g. ``markup=False``)."""
    if as_json:
        print_json(data)
    else:
        out.print(text, **style)


# a cell that is an id (``new_id``: a prefix and 24 hex digits), or an account of one
_ID = re.compile(r"(?:[a-z_]+:)?[a-z]{3}_[0-9a-f]{24}")


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], **options: Any) -> None:
    """A Rich table of ``columns`` (``options``: those of ``Table``, e.g. ``title``).

    Ids are never cut short, so that they can be copied: a column that holds ids keeps
    its full width and the other columns wrap; when even that does not fit the terminal,
    each row is printed as a block of ``column: value`` lines instead."""
    if not columns:
        table = Table(**options)
        for cells in rows:
            table.add_row(*cells)
        out.print(table)
        return
    rows = [list(cells) for cells in rows]
    table = Table(**options)
    for i, name in enumerate(columns):
        ids = [str(r[i]) for r in rows if _ID.fullmatch(str(r[i]))]
        if ids:
            table.add_column(name, no_wrap=True, min_width=max(map(len, ids)))
        else:
            table.add_column(name, overflow="fold")
    for cells in rows:
        table.add_row(*cells)
    unbounded = out.options.update_width(1_000_000)  # the table's own minimum width
    if Measurement.get(out, unbounded, table).minimum <= out.width:
        out.print(table)
        return
    if options.get("title"):
        out.print(str(options["title"]), markup=False)
    width = max(map(len, columns))
    for n, cells in enumerate(rows):
        if n:
            out.print()
        for name, cell in zip(columns, cells, strict=False):
            out.print(f"{name:<{width}}  {cell}", markup=False, highlight=False)


def print_fields(pairs: Iterable[tuple[str, str]]) -> None:
    """A ``show`` page: one row a field, name and value, without a header."""
    print_table((), pairs, show_header=False)


def print_list(items: Sequence[T], *, as_json: bool, columns: Sequence[str],
               row: Callable[[T], Sequence[Any]],
               json_of: Callable[[T], Any] = model_json) -> None:
    """A ``list`` command's output: a JSON array of ``json_of(item)`` with ``--json``,
    otherwise a table of ``columns`` with the cells ``row(item)`` for each item."""
    if as_json:
        print_json([json_of(item) for item in items])
        return
    print_table(columns, (row(item) for item in items))


def writable_path(path: Path) -> None:
    """Refuse an output path that cannot be written, before anything is changed."""
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidInput(f"{path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise InvalidInput(f"{path}: {parent} is not writable")


# what a JSON document (consent, release, terms, use, body profile) may weigh
MAX_DOCUMENT_BYTES = 1024 * 1024


def read_image_file(path: Path) -> bytes:
    """An image file's bytes, read with the upload limit (a device or a larger file is
    refused with one line naming the limit, never read whole)."""
    from twinstudio.fileio import read_bounded
    from twinstudio.provenance.images import MAX_BYTES

    return read_bounded(path, MAX_BYTES, what="an image")


def parse_day(value: str | None, default: Any) -> Any:
    """``--date``: an ISO date, or ``default`` when not given."""
    from datetime import date

    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--date {value!r} is not a date such as 2026-12-01") from None


def load_model(path: Path, model: type[M]) -> M:
    """Read a JSON file (at most ``MAX_DOCUMENT_BYTES``) into ``model``; every problem
    becomes a one-line InvalidInput."""
    from twinstudio.fileio import read_bounded

    data = read_bounded(path, MAX_DOCUMENT_BYTES, what="a JSON document")
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: "
                           f"{error.msg}") from None
    except (RecursionError, ValueError):
        raise InvalidInput(f"{path}: JSON nested too deeply or not decodable") from None
    return validate_document(path, data, model)


def validate_document(path: Path, data: Any, model: type[M], *,
                      expected: str = "a JSON object") -> M:
    """A parsed document (``data``, read from ``path``) as ``model``: it must be a mapping
    (else "expected ``expected``"); its validation errors become an InvalidInput that
    names every failed field."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected {expected}, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput.of(error, str(path)) from None


def context(workspace: Path):  # type: ignore[no-untyped-def]
    """Services of an existing workspace (refuses a folder that ``init`` did not create)."""
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.workspace import require_workspace

    require_workspace(workspace)
    try:
        settings = Settings(workspace=workspace)
    except ValidationError as error:
        raise ConfigurationError(InvalidInput.of(error, "configuration").message) from None
    return bootstrap(settings)


def main() -> None:
    app()
