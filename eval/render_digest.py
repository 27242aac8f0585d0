"""Render `itnews digest --report` in a real browser (headless Chromium) to a PNG, to look at it.

    python eval/render_digest.py REPORT.html OUT.png [--width 1280] [--height 4000]
    python eval/render_digest.py --news-2024 OUT.png   # digest ../shared/data/news-2024/ first

With --news-2024 the 215 ANSA and Il Post articles are written to a temporary JSONL (outlet from the
Publication column, date from the file name, Title, Content: their text stays out of the repository)
and digested with --source-field outlet --date-field date; the report is written beside the PNG.
Needs Debian's `chromium` package. The page is self-contained, so the browser fetches nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NEWS_2024 = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "news-2024"


def news_2024_report(png: Path) -> Path:
    report = png.with_suffix(".html")
    with tempfile.TemporaryDirectory() as folder:
        articles = Path(folder) / "news-2024.jsonl"
        with articles.open("w", encoding="utf-8") as out:
            for path in sorted(NEWS_2024.glob("*.csv")):
                date = re.search(r"\d{4}-\d{2}-\d{2}", path.name)[0]
                with path.open(encoding="utf-8", newline="") as file:
                    for row, line in enumerate(csv.DictReader(file)):
                        record = {
                            "id": f"{path.stem}:{row}", "outlet": line["Publication"].strip(), "date": date,
                            "title": line["Title"].strip(), "text": line["Content"],
                        }  # fmt: skip
                        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        stories = report.with_suffix(".jsonl")
        command = [sys.executable, "-m", "itnews.cli", "digest", str(articles), "--source-field", "outlet",
                   "--date-field", "date", "--report", str(report), "--out", str(stories)]  # fmt: skip
        subprocess.run(command, capture_output=True, check=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", help="the HTML page (not with --news-2024)")
    parser.add_argument("png")
    parser.add_argument("--news-2024", action="store_true", help=f"digest {NEWS_2024} and render that")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("error: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    png = Path(args.png).resolve()
    report = news_2024_report(png) if args.news_2024 else Path(args.report)
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={args.width},{args.height}", f"--screenshot={png}", report.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0 or not png.exists():
        print(f"error: chromium failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 1
    print(f"{report} -> {args.png}: {png.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
