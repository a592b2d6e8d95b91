"""Parties: talents (with their twin), brands and agencies."""

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    app,
    context,
    group,
    out,
    print_json,
    validation_line,
)
from twinstudio.domain.errors import InvalidInput

talent_app = group("Talents (models) and their twins.")
brand_app = group("Brands that license twins.")
agency_app = group("Agencies that represent talents.")
app.add_typer(talent_app, name="talent")
app.add_typer(brand_app, name="brand")
app.add_typer(agency_app, name="agency")


@talent_app.command("add")
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
        raise InvalidInput(validation_line("talent", error)) from None
    if as_json:
        print_json({**talent.model_dump(mode="json"), "twin_id": twin.id,
                     "twin_state": twin.state.value})
        return
    out.print(f"talent {talent.id} ({talent.name}); twin {twin.id} [{twin.state.value}]")


@talent_app.command("list")
def talent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List talents with their twin and its state."""
    from twinstudio.services.parties import list_talents

    rows = [(r.talent, r.twin) for r in list_talents(context(workspace))]
    if as_json:
        print_json([{**t.model_dump(mode="json"), "twin_id": w.id, "twin_state": w.state.value}
                     for t, w in rows])
        return
    table = Table("talent", "name", "language", "agency", "twin", "state")
    for t, w in rows:
        table.add_row(t.id, t.name, t.language, t.agency_id or "-", w.id, w.state.value)
    out.print(table)


def _org_commands(sub: typer.Typer, kind_name: str) -> None:
    @sub.command("add")
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
            raise InvalidInput(validation_line(kind_name, error)) from None
        if as_json:
            print_json(org.model_dump(mode="json"))
            return
        out.print(f"{kind_name} {org.id} ({org.name})")

    org_add.__doc__ = f"Register a {kind_name} (with its signing key)."

    @sub.command("list")
    def org_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
        from twinstudio.domain.parties import OrganisationKind
        from twinstudio.services.parties import list_organisations

        orgs = list_organisations(context(workspace), OrganisationKind(kind_name))
        if as_json:
            print_json([o.model_dump(mode="json") for o in orgs])
            return
        table = Table(kind_name, "name", "country")
        for o in orgs:
            table.add_row(o.id, o.name, o.country or "-")
        out.print(table)

    org_list.__doc__ = f"List {kind_name}s."


_org_commands(brand_app, "brand")
_org_commands(agency_app, "agency")
