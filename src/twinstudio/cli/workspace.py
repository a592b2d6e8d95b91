"""``twinstudio init``: create a workspace."""



from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    app,
    context,
    out,
    print_json,
)


@app.command()
def init(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Create a workspace: folder, database schema, signing keys, C2PA development CA."""
    from twinstudio.bootstrap import prepare_workspace

    created, settings = prepare_workspace(workspace)
    context(workspace)
    url = settings.effective_database_url
    if as_json:
        print_json({"workspace": str(workspace.resolve()), "created": created,
                     "database": url.split("@")[-1]})
        return
    verb = "Created" if created else "Workspace exists:"
    out.print(f"{verb} {workspace.resolve()} (database {url.split('@')[-1]})")
