"""Does `itnews serve` batching pay? Served articles/s and latency against its peers, side by side.

    python eval/serve_load.py [--articles 32] [--overload-seconds 120] [--parts seq2seq,extractive,overload]
    python eval/serve_load.py --parts ray --out eval/serve_load_ray.json

Each server runs in a subprocess of this script, on a free loopback port; the clients are asyncio
tasks here (httpx), each sending one article at a time and the next as soon as it is answered.

- seq2seq: a real preset's architecture (bart-it-fanpage by default) with seeded random weights and
  forced output lengths, as `itnews bench` builds it (`itnews.bench`), greedy. Three ways through the
  same articles with the same model, chain and lengths: `batch` (the local runner `itnews batch`
  uses), `serve` (the app of `itnews serve`, its chain built by the same steps, 16 clients) and
  `diy` (a FastAPI endpoint that cleans the article and calls the model once per request, in
  FastAPI's thread pool: the do-it-yourself service), 16 clients.
- extractive: the runner against `itnews serve --method extractive` at 1, 16 and 64 clients.
- ray (not in the default parts: it needs `itnews[ray]`): `itnews serve --method extractive` against
  `itnews serve --engine ray --replicas 2` (Ray Serve on a local Ray) at 16 clients, same articles.
- overload: open-loop arrivals at twice the extractive capacity measured above (16 clients) for the given
  seconds, against `itnews serve --queue 32`: answered and refused counts, how fast refusals come,
  accepted requests' latency, and the server's resident memory at start and end.

Prints one JSON object per measurement (and writes them all to --out, eval/serve_load.json).
"""

# No `from __future__ import annotations`: FastAPI reads the DIY endpoint's annotations, a class local
# to `diy_app`, when the endpoint is defined.
import argparse
import asyncio
import functools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus" / "articles"
MAX_BATCH = 32  # the CPU batch size of the runner (MAX_BATCH_SIZE["cpu"]) and of the server here


def article_texts() -> list[tuple[str, str]]:
    """(name, raw text) of the corpus's plain-text articles."""
    return [(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in sorted(CORPUS.glob("*.txt"))]


# --- the workers (subprocesses) --------------------------------------------------------------


def stand_in(preset_name: str):
    """The preset's architecture, random weights, greedy, forced lengths: `itnews bench`'s stand-in."""
    from itnews.bench.stand_ins import LengthForcer, build_model, summary_lengths, train_pieces
    from itnews.bench.suite import greedy_preset, torch_model
    from itnews.ingest.clean import read_article
    from itnews.summarise.presets import load_presets

    preset = greedy_preset(load_presets()[0][preset_name])
    pieces = train_pieces(
        [s for path in sorted(CORPUS.glob("*.txt")) for s in read_article(str(path)).sentences]
    )
    model, _ = build_model(preset)
    seq2seq = torch_model(preset, model, pieces, "cpu")
    LengthForcer(model, summary_lengths)
    return seq2seq


def stand_in_chain(preset_name: str) -> list:
    """Cleaning, then the summary steps `summary_steps` would chain, around the stand-in model."""
    from itnews.bench.paths import pipeline_steps
    from itnews.ingest.clean import Clean

    return [Clean(), *pipeline_steps(stand_in(preset_name), "summarise")]


def extractive_chain() -> list:
    from itnews.cli import build_chain
    from itnews.summarise.steps import SummaryOptions

    return build_chain(SummaryOptions(method="extractive"), strict_lang=False)


def worker(kind: str, preset: str, port: int, articles: int) -> None:
    """One server (serve, diy), or the batch path once (batch, extractive-batch: prints its rate)."""
    import uvicorn

    from itnews.service.app import Settings, create_app

    if kind == "extractive-batch":
        print(json.dumps(batch_rate(extractive_chain(), articles)), flush=True)
        return
    if kind == "serve":  # the stand-in is built in the server's model process, from its preset's name
        make_chain = functools.partial(stand_in_chain, preset)
        app = create_app(make_chain, Settings(max_batch=MAX_BATCH, queue=1024, timeout_s=600))
    elif kind == "batch":
        print(json.dumps(batch_rate(stand_in_chain(preset), articles)), flush=True)
        return
    else:
        app = diy_app(stand_in(preset))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def batch_rate(chain: list, articles: int) -> dict:
    from itnews.core.record import Record
    from itnews.core.runner import Collect, run

    texts = article_texts()
    records = [Record(id=str(i), source=str(i), text=texts[i % len(texts)][1]) for i in range(articles)]
    apply_warm_up(chain)
    summary = run(records, chain, Collect(), batch_size=MAX_BATCH)
    return {
        "articles": articles,
        "seconds": round(summary.wall_s, 2),
        "articles_per_s": round(summary.rate, 2),
    }


def apply_warm_up(chain: list) -> None:
    from itnews.core.record import Record
    from itnews.core.steps import apply

    apply(chain, [Record(id="w", source="w", text=article_texts()[0][1])])  # first-call loads, as a server's


def diy_app(seq2seq):
    """The do-it-yourself service: one endpoint, the article cleaned and the model called once per
    request (tokenize, generate, decode, as the model card shows), in FastAPI's thread pool."""
    from fastapi import FastAPI
    from pydantic import BaseModel

    from itnews.core.record import Record
    from itnews.ingest.clean import clean_record

    class Article(BaseModel):
        id: str | None = None
        text: str

    app = FastAPI()
    tokenizer, model, settings = seq2seq.tokenizer, seq2seq.model, seq2seq.generation_settings

    @app.post("/v1/summarise")
    def summarise(article: Article) -> dict:
        record = clean_record(Record(id=article.id or "1", source="request", text=article.text))
        inputs = tokenizer(
            " ".join(record.sentences),
            return_tensors="pt",
            truncation=True,
            max_length=seq2seq.max_input_tokens,
        )
        output = model.generate(**inputs, **settings)[0]
        return {"id": record.id, "summary_it": tokenizer.decode(output, skip_special_tokens=True)}

    @app.get("/readyz")
    def readyz() -> dict:
        return {"status": "ready"}

    return app


# --- the clients ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def extractive_server(queue: str, *options: str, log: Path | None = None) -> tuple[subprocess.Popen, int]:
    """`itnews serve --method extractive --queue QUEUE OPTIONS` on a free port, once ready."""
    port = free_port()
    command = [sys.executable, "-m", "itnews.cli", "serve", "--method", "extractive", "--port", str(port),
               "--queue", queue, *options]  # fmt: skip
    return start(command, port, log), port


def start(command: list[str], port: int, log: Path | None = None) -> subprocess.Popen:
    """The server, once ready; with ``log`` (its stderr), once it says it serves: a Ray Serve app
    answers /readyz from its first replica ready, and says it serves once all are."""
    import httpx

    stderr = log.open("wb") if log else None
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stderr=stderr)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited {process.returncode}")
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and (log is None or b"itnews: serving on" in log.read_bytes()):
            return process
        time.sleep(0.5)


def worker_command(kind: str, args, port: int = 0) -> list[str]:
    return [sys.executable, __file__, "--worker", kind, "--preset", args.preset, "--port", str(port),
            "--articles", str(args.articles)]  # fmt: skip


def worker_result(command: list[str]) -> dict:
    completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(completed.stdout.splitlines()[-1])


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=120)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def closed_loop(port: int, clients: int, articles: int) -> dict:
    """``clients`` callers, each sending its next article when the last is answered."""
    import httpx

    texts = article_texts()
    jobs = iter(range(articles))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(http) -> None:
        for number in jobs:
            body = {"id": str(number), "text": texts[number % len(texts)][1]}
            sent = time.perf_counter()
            response = await http.post("/v1/summarise", json=body)
            latencies.append(time.perf_counter() - sent)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600, limits=limits) as http:
        await http.post("/v1/summarise", json={"text": texts[0][1]})  # warm-up, not timed
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        seconds = time.perf_counter() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"not every request was answered 200: {statuses}")
    return {
        "clients": clients,
        "articles": articles,
        "statuses": statuses,
        "seconds": round(seconds, 2),
        "articles_per_s": round(articles / seconds, 2),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": round(percentile(latencies, 99), 3),
    }


async def open_loop(port: int, rate: float, seconds: float, pid: int) -> dict:
    """Requests arriving at ``rate`` per second whatever the answers, for ``seconds``. Each is one
    connection written by hand: httpx's pool slows down with thousands of waiting requests, which
    made the client, not the server, the bottleneck."""
    import psutil

    bodies = [json.dumps({"text": text}).encode() for _, text in article_texts()]
    server = psutil.Process(pid)
    answered: dict[int, list[float]] = {}

    async def one(number: int) -> None:
        body = bodies[number % len(bodies)]
        head = (
            "POST /v1/summarise HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sent = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + body)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            await reader.read()  # the body, to the close
            writer.close()
        except (OSError, ValueError, IndexError):  # refused or cut: counted as status 0
            status = 0
        answered.setdefault(status, []).append(time.perf_counter() - sent)

    await one(0)  # warm-up (the language identifier loads on the first article), not counted
    answered.clear()
    rss_start = rss_mb(server)
    started, tasks, number = time.perf_counter(), [], 0
    while (now := time.perf_counter() - started) < seconds:
        while number < now * rate:
            tasks.append(asyncio.create_task(one(number)))
            number += 1
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    rss_end = rss_mb(server)

    def summary(latencies: list[float]) -> dict:
        return {"count": len(latencies), "p50_s": round(statistics.median(latencies), 3),
                "p99_s": round(percentile(latencies, 99), 3)}  # fmt: skip

    return {
        "offered_per_s": round(rate, 1),
        "seconds": seconds,
        "sent": number,
        "by_status": {str(status): summary(latencies) for status, latencies in sorted(answered.items())},
        "rss_mb_start": round(rss_start, 1),
        "rss_mb_end": round(rss_end, 1),
    }


def rss_mb(process) -> float:
    """The server's resident memory, its model process included."""
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def report(results: list[dict], line: dict) -> None:
    print(json.dumps(line), flush=True)
    results.append(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=32, help="articles per seq2seq measurement")
    parser.add_argument("--extractive-articles", type=int, default=200)
    parser.add_argument("--preset", default="bart-it-fanpage")
    parser.add_argument("--overload-seconds", type=float, default=120)
    parser.add_argument("--parts", default="seq2seq,extractive,overload", help="and ray")
    parser.add_argument("--out", default=str(REPO / "eval" / "serve_load.json"), help="the figures, as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.preset, args.port, args.articles)
    results: list[dict] = []
    parts = args.parts.split(",")
    env = {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    report(results, {"part": "machine", **env})
    if "seq2seq" in parts:
        batch = worker_result(worker_command("batch", args))
        report(results, {"part": "seq2seq", "path": "batch", "preset": args.preset, **batch})
        for kind in ("serve", "diy"):
            port = free_port()
            process = start(worker_command(kind, args, port), port)
            try:
                measured = asyncio.run(closed_loop(port, 16, args.articles))
            finally:
                stop(process)
            report(results, {"part": "seq2seq", "path": kind, "preset": args.preset, **measured})
    capacity = None
    if "extractive" in parts or "overload" in parts:
        extractive = argparse.Namespace(**{**vars(args), "articles": args.extractive_articles})
        batch = worker_result(worker_command("extractive-batch", extractive))
        report(results, {"part": "extractive", "path": "batch", **batch})
        capacity = batch["articles_per_s"]
    if "extractive" in parts:
        process, port = extractive_server("1024")
        try:
            for clients in (1, 16, 64):
                measured = asyncio.run(closed_loop(port, clients, args.extractive_articles))
                report(results, {"part": "extractive", "path": "serve", **measured})
                if clients == 16:
                    capacity = measured["articles_per_s"]
        finally:
            stop(process)
    if "ray" in parts:
        engines = {"serve": [], "serve --engine ray --replicas 2": ["--engine", "ray", "--replicas", "2"]}
        for path, engine in engines.items():
            process, port = extractive_server("1024", *engine, log=Path(tempfile.mkdtemp()) / "serve.log")
            try:
                measured = asyncio.run(closed_loop(port, 16, args.extractive_articles))
            finally:
                stop(process)
            report(results, {"part": "ray", "path": path, **measured})
    if "overload" in parts:
        process, port = extractive_server("32")
        try:
            measured = asyncio.run(open_loop(port, 2 * capacity, args.overload_seconds, process.pid))
        finally:
            stop(process)
        report(results, {"part": "overload", "capacity_per_s": capacity, **measured})
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
