"""Webhooks: endpoints of an organisation, their delivery log, and the delivery worker."""

from typing import Annotated

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    Workspace,
    context,
    group,
    out,
    print_list,
    print_result,
)

webhook_app = group("webhook", "Webhooks: where an organisation is told about its events "
                               "(signed, retried for a day), and the delivery worker.")


@webhook_app.command("add")
def webhook_add(
    organisation: Annotated[str, typer.Argument(help="The brand's or agency's id")],
    url: Annotated[str, typer.Option(help="https:// URL on a public address")],
    event: Annotated[list[str], typer.Option(help="An event type (repeat the option); "
                                                  "'twinstudio webhook events' lists them")],
    description: Annotated[str, typer.Option(help="What the endpoint is for")] = "",
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Register an endpoint for the organisation; prints its secret, once."""
    from twinstudio.services.webhooks import register_endpoint

    created = register_endpoint(context(workspace), organisation_id=organisation, url=url,
                                events=event, description=description, actor="operator")
    e = created.endpoint
    print_result({**e.model_dump(mode="json"), "secret": created.secret},
                 f"webhook {e.id} for {e.organisation_id}: {e.url} ({', '.join(e.events)})\n"
                 f"secret (shown only now): {created.secret}", as_json=as_json,
                 markup=False)


@webhook_app.command("events")
def webhook_events(as_json: JsonFlag = False) -> None:
    """The event types an endpoint may subscribe to."""
    from twinstudio.domain.webhooks import EVENT_TYPES

    print_list(list(EVENT_TYPES.items()), as_json=as_json, columns=("event", "when"),
               row=lambda item: item, json_of=lambda i: {"type": i[0], "description": i[1]})


@webhook_app.command("list")
def webhook_list(organisation: Annotated[str | None, typer.Option(
                     help="Only this organisation's endpoints")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Registered endpoints."""
    from twinstudio.services.webhooks import list_endpoints

    print_list(list_endpoints(context(workspace), organisation_id=organisation),
               as_json=as_json, columns=("id", "organisation", "url", "events", "active"),
               row=lambda e: (e.id, e.organisation_id, e.url, ", ".join(e.events),
                              "yes" if e.active else "no"))


@webhook_app.command("deliveries")
def webhook_deliveries(endpoint: Annotated[str, typer.Argument(help="Endpoint id")],
                       workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """The endpoint's deliveries, newest first (state, attempts, last answer)."""
    from twinstudio.services.webhooks import list_deliveries

    print_list(list_deliveries(context(workspace), endpoint), as_json=as_json,
               columns=("id", "event", "state", "attempts", "last", "created"),
               row=lambda d: (d.id, d.event_type, d.state.value, str(d.attempts),
                              str(d.last_status or d.last_error or ""),
                              d.created_at.isoformat(timespec="seconds")))


@webhook_app.command("replay")
def webhook_replay(delivery: Annotated[str, typer.Argument(help="Delivery id")],
                   workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Send a delivered or failed message again (same id and body)."""
    from twinstudio.services.webhooks import replay_delivery

    d = replay_delivery(context(workspace), delivery, actor="operator")
    print_result(d.model_dump(mode="json"), f"delivery {d.id} is due again", as_json=as_json)


@webhook_app.command("deliver")
def webhook_deliver(
    once: Annotated[bool, typer.Option(help="One round of what is due, then stop")] = False,
    worker: Annotated[str | None, typer.Option(help="Worker id (default: host and pid)")
                      ] = None,
    workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False,
) -> None:
    """Deliver due webhooks until Ctrl-C (twinstudio serve also delivers, unless
    TWINSTUDIO_WEBHOOK_DELIVERY=false). Any number of workers share the outbox."""
    import os
    import signal
    import socket
    import threading

    from twinstudio.config import Settings
    from twinstudio.services.webhooks import deliver_due, run_delivery_worker

    ctx = context(workspace)
    lease = Settings(workspace=workspace).webhook_lease_seconds
    name = worker or f"cli-{socket.gethostname()[:40]}-{os.getpid()}"
    if once:
        done = deliver_due(ctx, worker_id=name, lease_seconds=lease)
        print_result({"delivered": done.delivered, "retrying": done.retrying,
                      "failed": done.failed}, f"{len(done.delivered)} delivered, "
                      f"{len(done.retrying)} to retry, {len(done.failed)} failed",
                      as_json=as_json)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print(f"delivering webhooks as {name} (Ctrl-C stops)")
    try:
        run_delivery_worker(ctx, stop, worker_id=name, lease_seconds=lease)
    except KeyboardInterrupt:
        stop.set()
    out.print("stopped")
