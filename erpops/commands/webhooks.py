"""`erpops webhooks` (subscriptions, dead letters, replay) and `erpops exchange` (channel stock endpoints and the
long-running delivery worker). Exit 0 ok, 1 something was parked or a replay failed, 2 bad input."""

from __future__ import annotations

import getpass
import json
import time
from typing import Annotated, Any

import typer

app = typer.Typer(help="Outbound webhooks: subscriptions by event type, dead letters and replay.",
                  no_args_is_help=True)
exchange_app = typer.Typer(help="Data exchange: channel stock endpoints and the delivery worker.",
                           no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _echo_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


@app.command("add")
def add(name: Annotated[str, typer.Argument(help="A name for the subscription (unique).")],
        url: Annotated[str, typer.Argument(help="The receiver's http(s) URL.")],
        events: Annotated[list[str], typer.Option("--event", "-e", help="An event type (OrderPlaced, ...), "
                                                  "repeatable; '*' for all.")],
        secret: Annotated[str | None, typer.Option(help="HMAC secret (default: a random one, printed once).")]
        = None,
        as_json: JsonOpt = False) -> None:
    """Subscribe URL to events of the given types, from now on (past events are not sent)."""
    from erp_models.integration.webhooks import add_subscription
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        sub = add_subscription(uow.session, name=name, url=url, event_types=events, secret=secret,
                               created_by=f"cli:{getpass.getuser()}")
        uow.commit()
    if as_json:
        _echo_json({"id": sub.id, "name": sub.name, "url": sub.url, "event_types": sub.event_types,
                    "secret": sub.secret, "consumer": f"webhook.{sub.id}"})
        return
    typer.echo(f"subscription {sub.id} ({sub.name}) -> {sub.url} for {', '.join(sub.event_types)}")
    typer.echo(f"secret (shown once): {sub.secret}")


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """The subscriptions with their event types and outbox positions (secrets are not shown)."""
    from erp_models.integration.webhooks import consumer_positions, list_subscriptions, webhook_consumer
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        subs, positions = list_subscriptions(uow.session), consumer_positions(uow.session)
    rows = [{"id": s.id, "name": s.name, "url": s.url, "event_types": s.event_types, "active": s.active,
             "created_by": s.created_by, "last_event_id": positions.get(webhook_consumer(s.id))} for s in subs]
    if as_json:
        _echo_json(rows)
        return
    for s in subs:
        typer.echo(f"{s.id:>4}  {s.name:<20} {s.url}  [{', '.join(s.event_types)}]  "
                   f"at event {positions.get(webhook_consumer(s.id))}" + ("" if s.active else "  (inactive)"))
    if not subs:
        typer.echo("no webhook subscriptions")


@app.command("remove")
def remove(ref: Annotated[str, typer.Argument(help="Subscription id or name.")], as_json: JsonOpt = False) -> None:
    """Delete a subscription and its outbox position; its dead letters stay listed."""
    from erp_models.integration.webhooks import remove_subscription
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        sub = remove_subscription(uow.session, ref=ref)
        uow.commit()
    _echo_json({"removed": sub.id, "name": sub.name}) if as_json else typer.echo(f"removed subscription {sub.id}")


@app.command("dead-letters")
def dead_letters(all_: Annotated[bool, typer.Option("--all", help="Include replayed ones.")] = False,
                 as_json: JsonOpt = False) -> None:
    """Deliveries that failed every attempt (webhooks and stock pushes), oldest first."""
    from dataclasses import asdict

    from erp_models.integration.webhooks import list_dead_letters
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        letters = list_dead_letters(uow.session, include_replayed=all_)
    if as_json:
        _echo_json([asdict(d) for d in letters])
        return
    for d in letters:
        what = f"event {d.event_id} {d.event_type}" if d.kind == "webhook" else f"stock {d.sku}"
        state = f"replayed {d.replayed_at:%Y-%m-%d %H:%M}" if d.replayed_at else f"{d.attempts} attempts"
        typer.echo(f"{d.id:>4}  {d.kind:<7} {d.target:<20} {what}  {state}  {d.last_error[:80]}")
    if not letters:
        typer.echo("no dead letters")


@app.command("replay")
def replay(ids: Annotated[list[int] | None, typer.Argument(help="Dead-letter ids (see dead-letters).")] = None,
           all_: Annotated[bool, typer.Option("--all", help="Replay every open dead letter.")] = False,
           as_json: JsonOpt = False) -> None:
    """Send dead letters again, one attempt each; exit 1 when any still fails."""
    from dataclasses import asdict

    from erp_models.integration.http_sender import HttpxSender
    from erp_models.integration.replay import replay_dead_letters
    from erpops.commands.db import connected_engine
    from infra.db import UnitOfWork

    if not ids and not all_:
        typer.echo("erpops: name dead-letter ids or pass --all", err=True)
        raise typer.Exit(2)
    connected_engine(schema_current=True)
    with HttpxSender() as sender:
        results = replay_dead_letters(UnitOfWork, sender=sender, ids=None if all_ else ids)
    if as_json:
        _echo_json([asdict(r) for r in results])
    else:
        for r in results:
            typer.echo(f"{r.dead_letter_id:>4}  {'delivered' if r.delivered else 'failed: ' + r.error}")
        if not results:
            typer.echo("no open dead letters")
    if any(not r.delivered for r in results):
        raise typer.Exit(1)


@exchange_app.command("endpoint")
def endpoint(channel: Annotated[str, typer.Argument(help="Channel code (e.g. tmall).")],
             url: Annotated[str | None, typer.Argument(help="Where to push; omit with --remove.")] = None,
             all_skus: Annotated[bool, typer.Option("--all-skus", help="Push every SKU, not only the SKUs "
                                                    "listed on the channel.")] = False,
             secret: Annotated[str | None, typer.Option(help="HMAC secret (default: random, printed once).")]
             = None,
             remove_: Annotated[bool, typer.Option("--remove", help="Stop pushing to this channel.")] = False,
             as_json: JsonOpt = False) -> None:
    """Set (or remove) the endpoint a channel's stock figures are pushed to."""
    from erp_models.integration.stock_sync import remove_endpoint, set_endpoint
    from erpops.commands.db import erp_work

    if not remove_ and not url:
        typer.echo("erpops: give the endpoint URL, or --remove", err=True)
        raise typer.Exit(2)
    with erp_work() as uow:
        if remove_:
            remove_endpoint(uow.session, channel=channel)
            document: dict[str, Any] = {"channel": channel, "removed": True}
        else:
            made = set_endpoint(uow.session, channel=channel, url=str(url), listed_only=not all_skus, secret=secret,
                                created_by=f"cli:{getpass.getuser()}")
            document = {"channel": channel, "url": made.url, "listed_only": made.listed_only, "secret": made.secret,
                        "consumer": f"stock.{channel}"}
        uow.commit()
    _echo_json(document) if as_json else typer.echo(" ".join(f"{k}={v}" for k, v in document.items()))


@exchange_app.command("endpoints")
def endpoints(as_json: JsonOpt = False) -> None:
    """The channels' stock endpoints (secrets are not shown)."""
    from erp_models.integration.stock_sync import list_endpoints
    from erpops.commands.db import erp_work

    with erp_work() as uow:
        rows = [{"channel": e.channel, "url": e.url, "listed_only": e.listed_only, "active": e.active}
                for e in list_endpoints(uow.session)]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['channel']:<16} {r['url']}  {'listed SKUs' if r['listed_only'] else 'all SKUs'}")
    if not rows:
        typer.echo("no stock endpoints")


@exchange_app.command("run")
def run(once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
        interval: Annotated[float, typer.Option(min=0.05, help="Seconds between passes.")] = 5.0,
        max_passes: Annotated[int | None, typer.Option(min=1, help="Stop after this many passes.")] = None,
        max_seconds: Annotated[float | None, typer.Option(min=0.1, help="Stop after this long.")] = None,
        max_attempts: Annotated[int, typer.Option(min=1, help="Attempts before a delivery is parked.")] = 6,
        base_delay: Annotated[float, typer.Option(min=0.01, help="Backoff after the first failure (s).")] = 2.0,
        as_json: JsonOpt = False) -> None:
    """Deliver webhooks and push stock, pass after pass (Ctrl-C stops). Exit 1 when something was parked."""
    from erpops.commands.db import connected_engine
    from tasks.exchange import RetrySettings, exchange_once

    connected_engine(schema_current=True)
    retry = RetrySettings(max_attempts=max_attempts, base_delay_s=base_delay)
    limit = 1 if once else max_passes
    started, passes, parked, last = time.monotonic(), 0, 0, None
    while True:
        last = exchange_once(retry)
        passes, parked = passes + 1, parked + last.total("parked")
        if not as_json:
            typer.echo(f"pass {passes}: {last.summary()}", err=True)
        if (limit is not None and passes >= limit) or (
                max_seconds is not None and time.monotonic() - started + interval > max_seconds):
            break
        time.sleep(interval)
    if as_json:
        _echo_json({"passes": passes, "parked": parked, "last_pass": last.as_dict()})
    if parked:
        typer.echo(f"erpops: {parked} deliveries parked as dead letters (erpops webhooks dead-letters)", err=True)
        raise typer.Exit(1)
