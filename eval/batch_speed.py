"""How soon `itnews batch` writes its first record, and how fast it runs, on full-length articles.

    python eval/batch_speed.py [--articles 400]

The corpus articles (~700 words each), cleaned to text and cycled with unique ids into a JSONL file,
go through `itnews batch --method extractive` in a subprocess, as a user runs it. Printed: the time
from the command's start to the first record in OUT, the run's own summary line (articles/s from the
first record read), and the wall time. Also the cleaning rate alone (`read_article`, one core).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    from itnews.core.files import ARTICLE_SUFFIXES
    from itnews.ingest.clean import read_article

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    args = parser.parse_args()
    paths = sorted(p for p in (REPO / "corpus" / "articles").iterdir() if p.suffix in ARTICLE_SUFFIXES)
    for warm_up in {path.suffix: path for path in paths}.values():  # what loads once per process
        read_article(str(warm_up))
    started = time.perf_counter()
    articles = [read_article(str(path)) for path in paths]
    cleaning = len(paths) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as folder:
        corpus, out = Path(folder) / "corpus.jsonl", Path(folder) / "out.jsonl"
        with corpus.open("w", encoding="utf-8") as file:
            for n in range(args.articles):
                article = articles[n % len(articles)]
                row = {"id": f"a{n}", "title": article.title, "text": article.text}
                file.write(json.dumps(row, ensure_ascii=False) + "\n")
        command = [sys.executable, "-m", "itnews.cli", "batch", str(corpus), "--out", str(out),
                   "--method", "extractive", "--lang", "it"]  # fmt: skip
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
        first = None
        while process.poll() is None:
            if first is None and out.exists() and out.stat().st_size:
                first = time.perf_counter() - started
            time.sleep(0.01)
        wall = time.perf_counter() - started
        line = next(line for line in process.stderr.read().splitlines() if line.startswith("batch:"))
    rate = float(re.search(r"([\d.]+) articles/s", line).group(1))
    print(f"cleaning alone: {cleaning:.1f} corpus articles/s on one core")
    print(f"first record written after {first:.2f} s (process start included)")
    print(f"{line}")
    print(f"end to end: {args.articles / wall:.1f} articles/s ({wall:.1f} s wall, start-up included); "
          f"the run's own figure {rate:.1f} articles/s")  # fmt: skip


if __name__ == "__main__":
    main()
