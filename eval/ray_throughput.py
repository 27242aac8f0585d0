"""Throughput and memory of `itnews batch` on the local engine against the Ray engine with 1 and 2 workers.

    python eval/ray_throughput.py --ilpost ../shared/data/ilpost/ilpost.csv --articles 64

Two workloads, each run in a fresh process per engine so that memory peaks are the run's own:

- ``ilpost``: the extractive summariser over the Il Post CSV (headlines and leads);
- ``model``: BART-IT (bart-it-fanpage's exact architecture, random weights, 80-token summaries,
  greedy, as `itnews bench` builds it) over N corpus articles.

Printed per run: records, wall time (source opened to output closed, Ray's start included),
articles/s, the driver's peak RSS, and the Ray worker processes' peak RSS (the largest one, and all
of them together), sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "corpus" / "articles"


def random_model_steps() -> list:
    """BART-IT with random weights and forced 80-token summaries, built where it runs."""
    from itnews.bench.stand_ins import (
        CorpusTokenizer,
        LengthForcer,
        build_model,
        summary_lengths,
        train_pieces,
    )
    from itnews.bench.suite import greedy_preset
    from itnews.ingest.clean import read_article
    from itnews.summarise.presets import load_presets
    from itnews.summarise.seq2seq import Seq2SeqModel
    from itnews.summarise.steps import Summarise, SummaryOptions

    preset = greedy_preset(load_presets()[0]["bart-it-fanpage"])
    model, _ = build_model(preset)
    paths = sorted(p for p in ARTICLES.iterdir() if p.suffix in (".txt", ".html"))
    pieces = train_pieces([s for path in paths for s in read_article(str(path)).sentences])
    seq2seq = Seq2SeqModel(preset, CorpusTokenizer(pieces, model), model, "random weights", None, "cpu")
    LengthForcer(model, summary_lengths)
    return [Summarise(seq2seq, SummaryOptions(languages=("it",)), [])]


class RaySampler:
    """Peak RSS of the Ray worker processes (named ``ray::...``) while a run goes on."""

    def __init__(self):
        self.largest_mb = self.total_mb = 0.0
        self.done = threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        import psutil

        while not self.done.wait(0.05):
            sizes = []
            for process in psutil.process_iter(["name", "cmdline", "memory_info"]):
                command = " ".join(process.info["cmdline"] or [])
                if process.info["memory_info"] and command.startswith("ray::"):
                    sizes.append(process.info["memory_info"].rss / 2**20)
            if sizes:
                self.largest_mb = max(self.largest_mb, max(sizes))
                self.total_mb = max(self.total_mb, sum(sizes))

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def one_run(workload: str, engine: str, workers: int, ilpost: str, articles: int) -> dict:
    from itnews.core.runner import run
    from itnews.core.sinks import open_sink
    from itnews.core.sources import Fields, file_record, open_source
    from itnews.ingest.clean import Clean
    from itnews.summarise.steps import SummaryOptions, summary_steps

    if workload == "ilpost":
        source = open_source(ilpost, Fields(text="summary", title="headline"))
        make_steps = functools.partial(summary_steps, SummaryOptions(method="extractive", languages=("it",)))
    else:
        paths = sorted(p for p in ARTICLES.iterdir() if p.suffix in (".txt", ".html"))
        source = [file_record(str(paths[n % len(paths)]), str(n)) for n in range(articles)]
        make_steps = random_model_steps
    with tempfile.TemporaryDirectory() as folder:
        sink = open_sink(str(Path(folder) / "out.jsonl"))
        started = time.perf_counter()
        with RaySampler() as sampler:
            if engine == "local":
                summary = run(source, [Clean(), *make_steps()], sink, unique_ids=True)
            else:
                from itnews.engines.ray_actors import run_on_ray

                summary = run_on_ray(source, Clean(), make_steps, sink, num_cpus=2, workers=workers)
        wall = time.perf_counter() - started
    return {
        "workload": workload,
        "engine": engine if engine == "local" else f"ray, {workers} worker{'s' * (workers > 1)}",
        "records": summary.ok + summary.error,
        "wall_s": round(wall, 1),
        "articles_per_s": round((summary.ok + summary.error) / wall, 2),
        "driver_peak_mb": round(summary.peak_rss_mb),
        "largest_worker_peak_mb": round(sampler.largest_mb),
        "all_workers_peak_mb": round(sampler.total_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ilpost", default=str(REPO.parent / "shared" / "data" / "ilpost" / "ilpost.csv"))
    parser.add_argument("--articles", type=int, default=64)
    parser.add_argument("--one", nargs=3, metavar=("WORKLOAD", "ENGINE", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        workload, engine, workers = args.one
        print(json.dumps(one_run(workload, engine, int(workers), args.ilpost, args.articles)))
        return
    print("| workload | engine | records | wall s | articles/s | driver MB | worker MB (largest/all) |")
    print("|---|---|---|---|---|---|---|")
    for workload in ("ilpost", "model"):
        for engine, workers in (("local", 1), ("ray", 1), ("ray", 2)):
            command = [sys.executable, __file__, "--one", workload, engine, str(workers)]
            command += ["--ilpost", args.ilpost, "--articles", str(args.articles)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {r['workload']} | {r['engine']} | {r['records']} | {r['wall_s']} | "
                f"{r['articles_per_s']} | {r['driver_peak_mb']} | "
                f"{r['largest_worker_peak_mb']} / {r['all_workers_peak_mb']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
