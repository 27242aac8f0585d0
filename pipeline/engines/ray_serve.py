"""The Ray Serve engine: one ASGI app as a Ray Serve deployment of N replicas (`serve --engine ray`).

```
caller ─HTTP─▶ Ray Serve's proxy (host:port) ─▶ replica 1..N, each an actor that builds the app once:
                                                  its batcher and model process, its models loaded there
```

- The app is the one the plain server runs: ``build_app`` (picklable) makes it in each replica, whose
  lifespan starts its batcher, so each replica loads the models once and batches its own requests.
- A replica is routed requests only once its models are loaded: its health check (Ray Serve runs
  the first before the replica counts as started, then every few seconds) waits on the app's
  ``state.until_ready()``, which raises if the models cannot load or the model process died; Ray
  Serve then replaces the replica.
- A replica that dies takes its requests in flight with it: the proxy answers them with an error
  status (500), and routes later requests to the replicas alive while Ray Serve starts a new one.
- Each replica takes up to ``queue`` requests at once (Ray Serve's default of 5 would starve its
  batcher), and the proxy holds at most ``queue`` more; past that, callers get 503 from the proxy.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

from itnews.engines.ray_actors import EngineError
from itnews.summarise.presets import first_line

APP_NAME = "itnews"


class Replica:
    """One replica: builds the app; healthy once the app's models are loaded."""

    def __init__(self, build_app: Callable):
        self.build_app = build_app

    def __serve_build_asgi_app__(self):  # Ray Serve's hook for an app built in the replica
        return self.build_app()

    async def check_health(self) -> None:
        await self.app.state.until_ready()  # `app`: the ASGI app, set by Ray Serve's ingress wrapper


class Stop(Exception):
    """SIGTERM or Ctrl-C: leave the serving loop and shut the app down."""


def serve_on_ray(
    build_app: Callable,
    *,
    host: str,
    port: int,
    replicas: int,
    gpus_per_replica: float,
    queue: int,
    grace_s: float,
) -> None:
    """Serve ``build_app``'s app from ``replicas`` replicas until SIGTERM or Ctrl-C, then delete it
    (each replica finishes its requests in flight, for at most ``grace_s``) and leave Ray.
    EngineError when Ray cannot start or the replicas cannot be placed or started."""
    import logging
    import warnings

    import ray
    from ray import serve

    warnings.filterwarnings("ignore", module=r"ray\.")
    stop = threading.Event()

    def stopping(signum, frame):
        if stop.is_set():  # a second signal: stop at once (Ray's processes share the driver's fate)
            print("stopped at once", file=sys.stderr, flush=True)
            os._exit(130)
        stop.set()
        raise Stop

    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = False
    try:
        try:
            # Without an address, ray.init joins the cluster RAY_ADDRESS names, else starts a local Ray.
            # log_to_driver off: Ray would copy each failed replica's traceback here; the replicas'
            # logs (their request lines too) stay in Ray's log folder.
            ray.init(
                include_dashboard=False, log_to_driver=False, logging_level="ERROR", configure_logging=True
            )
        except Stop:
            raise
        except Exception as err:  # Ray raises many types, some messages many lines long
            raise EngineError("Ray", f"cannot start or join: {first_line(err)}") from None
        for sig in previous:  # Ray's core worker put its own SIGTERM handler (a crash report) in place
            signal.signal(sig, stopping)
        logging.getLogger("ray.serve").setLevel(logging.WARNING)
        check_resources(ray.cluster_resources(), replicas, gpus_per_replica)
        deployment = serve.deployment(serve.ingress()(Replica)).options(
            name="Replica",
            num_replicas=replicas,
            ray_actor_options={"num_gpus": gpus_per_replica} if gpus_per_replica else {},
            max_ongoing_requests=queue,
            max_queued_requests=queue,
            graceful_shutdown_timeout_s=grace_s,
            # Ray's access log would double the app's own JSON line per request
            logging_config={"log_level": "WARNING", "enable_access_log": False},
        )
        try:
            serve.start(http_options={"host": host, "port": port}, logging_config={"log_level": "WARNING"})
            started = True
            serve.run(deployment.bind(build_app), name=APP_NAME, route_prefix="/")
        except Stop:
            raise
        except Exception as err:
            raise EngineError("Ray Serve", f"the app did not start: {failure(err)}") from None
        print(
            f"itnews: serving on http://{host}:{port} from {replicas} Ray Serve replicas "
            "(the page at /, the API at /docs)",
            file=sys.stderr,
            flush=True,
        )
        while True:
            stop.wait(3600)
    except Stop:
        pass
    finally:
        stop.set()  # from here on, a signal stops at once
        if started:
            serve.delete(APP_NAME)  # each replica finishes its requests in flight, then its lifespan ends
        if ray.is_initialized():
            ray.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def failure(err: Exception) -> str:
    """Why the replicas could not start: the last line of a replica's failure (the exception that
    stopped it, such as the models' load error), which Ray Serve keeps in the deployment's status;
    Ray's own first line otherwise."""
    import re

    from ray import serve

    try:
        deployments = serve.status().applications[APP_NAME].deployments.values()
    except Exception:  # Serve itself is what failed
        return first_line(err)
    for deployment in deployments:
        lines = [line.strip() for line in (deployment.message or "").splitlines() if line.strip()]
        if lines:
            return re.sub(r"^[\w.]+: ", "", lines[-1])  # without the exception's class
    return first_line(err)


def check_resources(resources: dict, replicas: int, gpus_per_replica: float) -> None:
    """Enough CPUs (one a replica) and GPUs for every replica: Ray Serve would wait for them forever."""
    cpus, gpus = resources.get("CPU", 0), resources.get("GPU", 0)
    if gpus_per_replica and not gpus:
        raise EngineError("--gpus-per-replica", "the Ray cluster has no GPU")
    if gpus_per_replica * replicas > gpus:
        raise EngineError(
            "--gpus-per-replica",
            f"{replicas} replicas of {gpus_per_replica:g} GPUs need {gpus_per_replica * replicas:g}; "
            f"the Ray cluster has {gpus:g}",
        )
    if replicas > cpus:
        raise EngineError("--replicas", f"{replicas} replicas need a CPU each; the Ray cluster has {cpus:g}")
