"""Run two versions of itnews on the corpus and compare their records, field by field, but timings.

    python eval/compare_versions.py OLD_REV [--module-old itnews.cli]

OLD_REV is checked out into a temporary git worktree, installed from there into a folder of its own
(`pip install --no-deps --target`, put first on PYTHONPATH so that it, not the working tree's
editable install, is what runs) and run with this interpreter, so its dependencies must be installed
too (for fb63fcc: `pip install pysbd`, since replaced by itnews.ingest.sentences); the working tree
is the new version. Compared:
`summarise --json` on every corpus article (in input order), and `batch` on the corpus folder into
JSONL and Parquet (by id), and `batch` into JSONL on each CSV file of the real ANSA and Il Post
articles in ../shared/data/news-2024 when it is there (by id). A field only one version writes is
listed, not counted as a difference.
Exit status 1 when any shared field differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IGNORED = {"timings"}
REAL_NEWS = REPO.parent / "shared" / "data" / "news-2024"
REAL_FIELDS = ("--text-field", "Content", "--title-field", "Title")


def python(checkout: Path, site: Path | None, *args: str) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def itnews(checkout: Path, site: Path | None, module: str, *args: str) -> subprocess.CompletedProcess:
    return python(checkout, site, "-m", module, *args)


def outputs(checkout: Path, site: Path | None, module: str, scratch: Path) -> dict[str, list[dict]]:
    articles = sorted(str(p.relative_to(checkout)) for p in (checkout / "corpus" / "articles").iterdir())
    printed = itnews(checkout, site, module, "summarise", *articles, "--json")
    results = {"summarise --json": [json.loads(line) for line in printed.stdout.splitlines()]}
    for suffix in ("jsonl", "parquet"):
        out = scratch / f"out.{suffix}"
        itnews(checkout, site, module, "batch", "corpus/articles", "--out", str(out))
        if suffix == "jsonl":
            rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        else:
            import pyarrow.parquet as pq

            rows = pq.read_table(out).to_pylist()
        results[f"batch {suffix}"] = sorted(rows, key=lambda row: row["id"])
    real = []
    for csv in sorted(REAL_NEWS.glob("*.csv")):
        out = scratch / f"{csv.stem}.jsonl"
        itnews(checkout, site, module, "batch", str(csv), "--out", str(out), *REAL_FIELDS)
        real += [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    if real:
        results["batch news-2024 jsonl"] = sorted(real, key=lambda row: row["id"])
    return results


def compare(old: list[dict], new: list[dict]) -> tuple[int, set[str], set[str]]:
    """Differing shared fields, fields only the old records have, fields only the new ones have."""
    differences = 0
    if [r["id"] for r in old] != [r["id"] for r in new]:
        print(f"  ids differ: {[r['id'] for r in old]} != {[r['id'] for r in new]}")
        return 1, set(), set()
    only_old, only_new = set(), set()
    for a, b in zip(old, new, strict=True):
        only_old |= set(a) - set(b)
        only_new |= set(b) - set(a)
        for key in (set(a) & set(b)) - IGNORED:
            if a[key] != b[key]:
                differences += 1
                print(f"  {a['id']}.{key}: {a[key]!r} != {b[key]!r}")
    return differences, only_old, only_new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_rev")
    parser.add_argument("--module-old", default="itnews.cli", help="the old version's CLI module")
    parser.add_argument("--module-new", default="itnews.cli")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        old_tree = Path(scratch) / "old"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(old_tree), args.old_rev], cwd=REPO, check=True
        )
        try:
            (Path(scratch) / "a").mkdir()
            (Path(scratch) / "b").mkdir()
            old_site = Path(scratch) / "old-site"
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(old_site), "."],
                cwd=old_tree,
                check=True,
            )
            for label, tree, site, module in (
                ("old", old_tree, old_site, args.module_old),
                ("new", REPO, None, args.module_new),
            ):
                package = module.split(".")[0]
                where = python(tree, site, "-c", f"import {package}; print({package}.__file__)")
                print(f"{label}: {module} from {where.stdout.strip() or where.stderr.strip()}")
            old = outputs(old_tree, old_site, args.module_old, Path(scratch) / "a")
            new = outputs(REPO, None, args.module_new, Path(scratch) / "b")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=REPO, check=True)
    failed = False
    for name in old:
        differences, only_old, only_new = compare(old[name], new[name])
        failed |= differences > 0
        print(
            f"{name}: {len(new[name])} records, {differences} differing fields (timings ignored)"
            + (f"; only in {args.old_rev}: {sorted(only_old)}" if only_old else "")
            + (f"; only in the working tree: {sorted(only_new)}" if only_new else "")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
