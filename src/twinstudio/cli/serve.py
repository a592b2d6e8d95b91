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
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000) -> None:
    """Serve the web portal (/) and the REST API (/api/v1, docs at /api/v1/docs)."""
    import uvicorn

    from twinstudio.bootstrap import build_site, process_runner
    from twinstudio.config import Settings

    settings = Settings(workspace=workspace)
    # campaigns started from the portal or the API run in worker processes
    site = build_site(context(workspace), runner=process_runner(settings),
                      max_json_bytes=settings.max_json_bytes,
                      max_form_bytes=settings.max_form_bytes)
    out.print(f"twinstudio on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs)")
    uvicorn.run(site, host=host, port=port, log_level="info", proxy_headers=False)
