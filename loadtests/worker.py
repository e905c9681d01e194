"""One Locust worker process (`python -m loadtests.run --worker`): it connects to a master, says hello, receives
the run's config from the master (the mix, the fixture's codes and tokens, the API's address) and runs the users
the master dispatches to it until the master ends the run. A worker on another host needs nothing but the master's
address: the data the load-test flow prepares at run time comes over Locust's own connection.
"""

from __future__ import annotations

from typing import Any

from gevent.event import Event
from locust import runners
from locust.env import Environment
from locust.rpc import Message
from pydantic import ValidationError

from loadtests.collect import Collector
from loadtests.config import RunConfig
from loadtests.users import mix

PAYLOAD_KEY = "erpops"  # the key of the collector's data in a worker's stats report
HELLO = "erpops_hello"  # worker -> master: send me the run's config
CONFIG = "erpops_config"  # master -> worker: the run's config (RunConfig.for_worker())
CONFIG_WAIT_S = 30.0


class WorkerError(Exception):
    """The worker could not join a run: one line for its log and the erpops command."""


def run_worker(config: RunConfig | None, master_host: str, master_port: int, connect_timeout_s: float) -> int:
    """Connect (within connect_timeout_s), get the config, run the dispatched users and ship the collector's data
    with each stats report. Returns when the master quits the run."""
    env = Environment(user_classes=list(mix(config.fixture, config.weights)) if config else [],
                      host=config.host if config else None)
    runners.CONNECT_TIMEOUT = 1  # Locust retries every CONNECT_TIMEOUT s, CONNECT_RETRY_COUNT times, then gives up
    runners.CONNECT_RETRY_COUNT = max(1, int(connect_timeout_s))
    try:
        runner = env.create_worker_runner(master_host, master_port)
    except ConnectionError:
        raise WorkerError(f"cannot reach the Locust master at {master_host}:{master_port} within "
                          f"{connect_timeout_s:g} s (is `erpops loadtest run --remote-workers N` running there, "
                          "and its port open to this host?)") from None
    configured = Event()
    refused: list[str] = []

    def on_config(environment: Environment, msg: Message, **_: Any) -> None:
        try:
            received = RunConfig.model_validate(msg.data)
        except ValidationError as exc:
            refused.append(f"the master sent a config this worker cannot use: {exc.errors()[0]['msg']}")
        else:
            environment.user_classes = list(mix(received.fixture, received.weights))
            environment.host = received.host
        configured.set()

    runner.register_message(CONFIG, on_config)
    collector = Collector()
    env.events.request.add_listener(collector.on_request)  # type: ignore[no-untyped-call]

    def on_report(client_id: str, data: dict[str, Any]) -> None:  # noqa: ARG001 (Locust's signature)
        data[PAYLOAD_KEY] = collector.drain()

    env.events.report_to_master.add_listener(on_report)  # type: ignore[no-untyped-call]
    runner.send_message(HELLO)
    if not configured.wait(timeout=CONFIG_WAIT_S):
        runner.quit()
        raise WorkerError(f"the Locust master at {master_host}:{master_port} sent no run config within "
                          f"{CONFIG_WAIT_S:g} s (is it an erpops load-test run of the same version?)")
    if refused:
        runner.quit()
        raise WorkerError(refused[0])
    runner.greenlet.join()
    return 0


__all__ = ["CONFIG", "HELLO", "PAYLOAD_KEY", "WorkerError", "run_worker"]
