"""`itnews digest` on many copies of one agency text (issue 22, item 7): the time and peak memory of
the whole command, per number of copies. Each copy is the same story-corpus article under another
outlet, with its own dateline and closing line, all on one day, so they are near-duplicates, not
identical.

    python eval/digest_copies.py [COPIES ...]      (default: 500 1000 10000)

Its figures are recorded in eval/DIGEST-COPIES.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "corpus" / "stories" / "articles" / "s01-corriere.txt"


def write_copies(path: Path, copies: int) -> None:
    title, _, body = ARTICLE.read_text(encoding="utf-8").partition("\n")
    with path.open("w", encoding="utf-8") as file:
        for n in range(copies):
            row = {
                "id": f"copy-{n}",
                "title": title.strip(),
                "text": f"ROMA, testata {n} — {body.strip()}\n\nRiproduzione riservata, testata {n}.",
                "outlet": f"testata-{n}",
                "date": "2024-10-01",
            }
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def run(copies: int) -> tuple[float, float, int]:
    """Seconds, peak memory (MB) and number of stories of ``itnews digest`` on ``copies`` copies."""
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "copies.jsonl"
        write_copies(corpus, copies)
        command = [sys.executable, "-m", "itnews.cli", "digest", str(corpus), "--json", "--lang", "it",
                   "--source-field", "outlet", "--date-field", "date"]  # fmt: skip
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status:
            raise SystemExit(f"digest failed on {copies} copies (status {status})")
        return seconds, usage.ru_maxrss / 1024, len(stdout.splitlines())


def main(argv: list[str]) -> None:
    print("| copies | stories | seconds | peak memory (MB) |")
    print("|---:|---:|---:|---:|")
    for copies in [int(n) for n in argv] or [500, 1000, 10_000]:
        seconds, peak, stories = run(copies)
        print(f"| {copies:,} | {stories} | {seconds:.1f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
