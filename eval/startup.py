"""Start-up: the wall time of one `itnews summarise ARTICLE` (extractive, guard on) and of `itnews --help`,
as a shell loop over files pays it, and what the time goes to.

    python eval/startup.py [--runs 10] [ARTICLE]

Each command runs in a fresh process, --runs times; the medians are printed. HF_HOME is a new empty
folder, so no model is cached (the offline default: the embedded extractive summariser) and the first
run also writes the language identifier's cache (eval/STARTUP.md; reported apart, as "first run").
Also the peak resident memory of that first run and of a later one. The breakdown: the interpreter
alone, importing the CLI, and the steps' own timings from the record
(`--json`: clean_s, summarise_it_s, guard_s); what is left is typer, reading the options, choosing
the chain and printing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "corpus" / "articles" / "politica-01.txt"
ITNEWS = [sys.executable, "-m", "itnews.cli"]


def run(command: list[str], env: dict) -> tuple[float, str, int]:
    """Wall seconds, stdout and peak resident memory (MB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # the child's own rusage, not all children's
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)}: exit status {process.returncode}")
    return time.perf_counter() - start, stdout, usage.ru_maxrss // 1024


def wall(command: list[str], env: dict) -> tuple[float, str]:
    seconds, stdout, _ = run(command, env)
    return seconds, stdout


def median_wall(command: list[str], env: dict, runs: int) -> float:
    return statistics.median(wall(command, env)[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", type=Path, default=ARTICLE)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HF_HOME": home, "HF_HUB_OFFLINE": "1"}
        env.pop("HF_HUB_CACHE", None)
        summarise = [*ITNEWS, "summarise", str(args.article)]
        first, _, first_memory = run(summarise, env)  # decompresses the language model, writes the cache
        later_memory = run(summarise, env)[2]  # maps it
        rows = {
            "python -c pass": median_wall([sys.executable, "-c", "pass"], env, args.runs),
            "import itnews.cli": median_wall([sys.executable, "-c", "import itnews.cli"], env, args.runs),
            "itnews --help": median_wall([*ITNEWS, "--help"], env, args.runs),
            "itnews summarise ARTICLE": median_wall(summarise, env, args.runs),
        }
        step_timings = [json.loads(wall([*summarise, "--json"], env)[1])["timings"] for _ in range(args.runs)]

    print(
        f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}; {args.article.name}; medians of {args.runs} runs"
    )
    print(f"{'itnews summarise ARTICLE, first run':40s} {first:6.3f} s (writes the language model's cache)")
    print(f"{'peak memory, first run / later runs':40s} {first_memory} MB / {later_memory} MB")
    for name, seconds in rows.items():
        print(f"{name:40s} {seconds:6.3f} s")
    print("of which, the steps (the record's timings, medians):")
    for key in step_timings[0]:
        print(f"  {key:38s} {statistics.median(t[key] for t in step_timings):6.3f} s")
    steps = sum(statistics.median(t[key] for t in step_timings) for key in step_timings[0])
    rest = rows["itnews summarise ARTICLE"] - rows["import itnews.cli"] - steps
    print(f"  {'the rest (typer, options, chain, output)':38s} {rest:6.3f} s")


if __name__ == "__main__":
    main()
