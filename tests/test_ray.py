"""`itnews batch --engine ray`: the local engine's records, on a local Ray with 2 CPUs; a worker that
dies once, a record that kills its worker every time and a driver that is killed lose nothing
and write nothing twice, and the run ends. `pytest -m "not ray"` skips
this module (Ray starts in ~10 s)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")

from itnews.core.sinks import open_sink  # noqa: E402
from itnews.core.sources import Fields, open_source  # noqa: E402
from itnews.engines.ray_actors import DEATHS_PER_BATCH, STARTS_PER_WORKER, EngineError, run_on_ray  # noqa: E402
from itnews.ingest.clean import Clean  # noqa: E402
from itnews.summarise.steps import SummaryOptions, summary_steps  # noqa: E402

from .conftest import CORPUS, REPO, run_cli  # noqa: E402
from .test_batch import by_id, read_output, write_corpus  # noqa: E402

EXTRACTIVE = SummaryOptions(method="extractive", languages=("it",))


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def without_timings(record: dict) -> dict:
    return {key: value for key, value in record.items() if key != "timings"}


def test_both_engines_write_the_same_records_for_the_corpus(local_ray, tmp_path):
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert run_cli("batch", str(CORPUS / "articles"), "--out", str(local)).returncode == 0
    source = open_source(str(CORPUS / "articles"), Fields())
    make_steps = lambda: summary_steps(SummaryOptions())  # noqa: E731  (the CLI's default chain)
    summary = run_on_ray(source, Clean(), make_steps, open_sink(str(distributed)), workers=2, batch_size=8)
    assert (summary.ok, summary.error) == (33, 0)
    expected = {i: without_timings(r) for i, r in by_id(read_output(local)).items()}
    assert {i: without_timings(r) for i, r in by_id(read_output(distributed)).items()} == expected


def test_a_worker_that_dies_once_and_a_record_that_fails_lose_nothing(local_ray, tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.parquet"
    good, bad = write_corpus(corpus, 200, bad_every=50)
    died = tmp_path / "died"

    def make_steps():  # pickled by value: the actors build it
        from itnews.core.steps import Step

        class DieOnceThenChokeOnN7(Step):
            def process(self, records):
                if not died.exists():
                    died.write_text("once")
                    os._exit(1)  # the actor's process dies mid-batch: Ray restarts it and retries
                if any(record.id == "n7" for record in records):
                    raise RuntimeError("model choked")

        return [*summary_steps(EXTRACTIVE), DieOnceThenChokeOnN7()]

    source = open_source(str(corpus), Fields())
    summary = run_on_ray(source, Clean(), make_steps, open_sink(str(out)), workers=2, batch_size=16)
    assert died.exists()
    records = by_id(read_output(out))  # each id exactly once
    assert set(records) == good | bad
    assert records["n7"]["error"] == f"{corpus}:8: RuntimeError: model choked"
    assert {i for i, r in records.items() if r["status"] == "ok"} == good - {"n7"}
    assert summary.error == len(bad) + 1


def test_a_record_that_kills_its_worker_every_time_is_one_error_record_and_the_run_ends(local_ray, tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    good, bad = write_corpus(corpus, 100, bad_every=50)

    def make_steps():  # pickled by value: the actors build it
        from itnews.core.steps import Step

        class DieOnN21(Step):  # as an out-of-memory kill or a crash in native code would
            def process(self, records):
                if any(record.id == "n21" for record in records):
                    os._exit(1)

        return [*summary_steps(EXTRACTIVE), DieOnN21()]

    source = open_source(str(corpus), Fields())
    finished, outcome = threading.Event(), {}

    def run():
        outcome["summary"] = run_on_ray(
            source, Clean(), make_steps, open_sink(str(out)), workers=2, batch_size=16
        )
        finished.set()

    started = time.monotonic()
    threading.Thread(target=run, daemon=True).start()
    assert finished.wait(timeout=600), "the run should end: the record's deaths are capped"
    print(f"a record that always kills its worker: the run took {time.monotonic() - started:.0f} s")
    records = by_id(read_output(out))  # each id exactly once
    assert set(records) == good | bad
    assert records["n21"]["error"] == f"{corpus}:22: worker died {DEATHS_PER_BATCH} times on this record"
    assert {i for i, r in records.items() if r["status"] == "ok"} == good - {"n21"}
    assert outcome["summary"].error == len(bad) + 1  # the CLI's exit status is 1, as for any failed record


def test_a_worker_that_dies_while_starting_stops_the_run_with_one_reason(local_ray, tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 20)

    def make_steps():  # as a model load killed for its memory on every worker would
        os._exit(1)

    source = open_source(str(corpus), Fields())
    with pytest.raises(EngineError, match=f"a worker died {STARTS_PER_WORKER} times while starting"):
        run_on_ray(source, Clean(), make_steps, open_sink(str(tmp_path / "out.jsonl")), workers=2)


def test_a_killed_driver_resumes_with_every_good_id_once(tmp_path):
    corpus, out = tmp_path / "big.jsonl", tmp_path / "out.jsonl"
    good, bad = write_corpus(corpus, 3000, bad_every=97)
    args = (str(corpus), "--out", str(out), "--method", "extractive", "--lang", "it", "--engine", "ray")
    process = subprocess.Popen(
        [sys.executable, "-m", "itnews.cli", "batch", *args, "--batch-size", "8", "--workers", "2"],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out.exists() and out.read_bytes().count(b"\n") >= 8):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and the local Ray it started
    process.wait()
    written = out.read_bytes().count(b"\n")
    assert 0 < written < len(good | bad), "the kill should land part-way"

    resumed = run_cli("batch", *args, "--workers", "2")
    assert resumed.returncode == 1, resumed.stderr.decode()  # the bad records failed
    assert "Traceback" not in resumed.stderr.decode()
    records = by_id(read_output(out))
    assert set(records) == good | bad
    assert all(records[i]["status"] == "ok" for i in good)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(good | bad)
