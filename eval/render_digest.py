"""Render `itnews digest --report` in a real browser (headless Chromium) to a PNG, to look at it.

    python eval/render_digest.py REPORT.html OUT.png [--width 1200] [--height 4000]

Needs Debian's `chromium` package. The page is self-contained, so the browser fetches nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("error: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 1
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={args.width},{args.height}", f"--screenshot={Path(args.png).resolve()}",
        Path(args.report).resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0 or not Path(args.png).exists():
        print(f"error: chromium failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 1
    print(f"{args.png}: {Path(args.png).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
