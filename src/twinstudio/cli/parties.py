"""Parties: talents (with their twin), brands and agencies."""

from typing import Annotated

import typer
from pydantic import ValidationError

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    context,
    group,
    print_list,
    print_result,
)
from twinstudio.domain.common import with_article
from twinstudio.domain.errors import InvalidInput

talent_app = group("talent", "Talents (models) and their twins.")
brand_app = group("brand", "Brands that license twins.")
agency_app = group("agency", "Agencies that represent talents.")


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
        raise InvalidInput.of(error, "talent") from None
    print_result({**talent.model_dump(mode="json"), "twin_id": twin.id,
                  "twin_state": twin.state.value},
                 f"talent {talent.id} ({talent.name}); twin {twin.id} [{twin.state.value}]",
                 as_json=as_json)


@talent_app.command("list")
def talent_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List talents with their twin and its state."""
    from twinstudio.services.parties import list_talents

    print_list(list_talents(context(workspace)), as_json=as_json,
               columns=("talent", "name", "language", "agency", "twin", "state"),
               row=lambda r: (r.talent.id, r.talent.name, r.talent.language,
                              r.talent.agency_id or "-", r.twin.id, r.twin.state.value),
               json_of=lambda r: {**r.talent.model_dump(mode="json"), "twin_id": r.twin.id,
                                  "twin_state": r.twin.state.value})


def _org_commands(sub: typer.Typer, kind_name: str, plural: str) -> None:
    @sub.command("add")
    def org_add(name: Annotated[str, typer.Option(help=f"The {kind_name}'s name.")],
                country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2")] = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
        from twinstudio.domain.iso_codes import ISO_3166_ALPHA2
        from twinstudio.domain.parties import OrganisationKind
        from twinstudio.domain.vocabulary import case_hint
        from twinstudio.services.parties import add_organisation

        if country is not None and country not in ISO_3166_ALPHA2:
            raise InvalidInput(f"--country {country!r} is not an ISO 3166-1 alpha-2 code"
                               f"{case_hint([country], ISO_3166_ALPHA2)}")
        try:
            org = add_organisation(context(workspace), kind=OrganisationKind(kind_name),
                                   name=name, country=country)
        except ValidationError as error:
            raise InvalidInput.of(error, kind_name) from None
        print_result(org.model_dump(mode="json"), f"{kind_name} {org.id} ({org.name})",
                     as_json=as_json)

    org_add.__doc__ = f"Register {with_article(kind_name)} (with its signing key)."

    @sub.command("list")
    def org_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
        from twinstudio.domain.parties import OrganisationKind
        from twinstudio.services.parties import list_organisations

        print_list(list_organisations(context(workspace), OrganisationKind(kind_name)),
                   as_json=as_json, columns=(kind_name, "name", "country"),
                   row=lambda o: (o.id, o.name, o.country or "-"))

    org_list.__doc__ = f"List {plural}."


_org_commands(brand_app, "brand", "brands")
_org_commands(agency_app, "agency", "agencies")
