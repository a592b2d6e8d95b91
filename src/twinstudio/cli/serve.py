"""``twinstudio demo`` (the synthetic world) and ``twinstudio serve`` (portal and API)."""

from pathlib import Path
from typing import Annotated

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    app,
    context,
    out,
)


@app.command()
def demo(workspace: Workspace = Path("demo-workspace"),
         reset: Annotated[bool, typer.Option(help="Delete the workspace first")] = False,
         campaign_size: Annotated[int, typer.Option(
             min=0, max=500, help="Images of the demo campaign (0: no campaign)")] = 64,
         as_json: JsonFlag = False) -> None:
    """Build a demo workspace (30 talents, 3 brands), decide a set of uses, run a campaign
    of rights-checked images, approve and publish part of it."""
    from twinstudio.demo.run import run_demo

    run_demo(workspace, reset=reset, console=out, as_json=as_json,
             campaign_size=campaign_size)


@app.command()
def serve(workspace: Workspace = DEFAULT_WS,
          host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="Server processes sharing the port (each loads its own "
                                  "perception models on first use)")] = 1,
          access_log: Annotated[bool, typer.Option(
              help="Log every request (one line each)")] = True,
          secure_cookies: Annotated[bool | None, typer.Option(
              "--secure-cookies/--no-secure-cookies",
              help="Mark the portal's cookies Secure (behind HTTPS). Default: "
                   "TWINSTUDIO_SECURE_COOKIES, else on in production mode")] = None) -> None:
    """Serve the web portal (/) and the REST API (/api/v1, docs at /api/v1/docs)."""
    import os

    import uvicorn

    from twinstudio.bootstrap import build_site, process_runner
    from twinstudio.config import Settings

    ctx = context(workspace)  # refuses a folder that is not a workspace, before forking
    out.print(f"twinstudio on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs)"
              + (f", {workers} server processes" if workers > 1 else ""))
    if workers > 1:
        # each process builds the site itself from the environment
        os.environ["TWINSTUDIO_WORKSPACE"] = str(workspace.resolve())
        if secure_cookies is not None:
            os.environ["TWINSTUDIO_SECURE_COOKIES"] = str(secure_cookies).lower()
        uvicorn.run("twinstudio.bootstrap:site_from_environment", factory=True,
                    workers=workers, host=host, port=port, log_level="info",
                    access_log=access_log, proxy_headers=False)
        return
    settings = Settings(workspace=workspace)
    options = {} if secure_cookies is None else {"secure_cookies": secure_cookies}
    # campaigns started from the portal or the API run in worker processes
    site = build_site(ctx, runner=process_runner(settings), settings=settings, **options)
    uvicorn.run(site, host=host, port=port, log_level="info", access_log=access_log,
                proxy_headers=False)
