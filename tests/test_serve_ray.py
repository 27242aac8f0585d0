"""`itnews serve --engine ray`: the app as a Ray Serve deployment on a local Ray, two replicas serving
the extractive path; one replica killed while requests run: every request gets a summary or an error
status, later ones are answered, Ray Serve starts a new replica, SIGTERM stops it all with 0."""

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from .conftest import CORPUS
from .serving import Server, free_port

pytestmark = pytest.mark.ray
pytest.importorskip("ray.serve")

TEXT = (CORPUS / "articles" / "politica-01.txt").read_text(encoding="utf-8")
REQUESTS = 24
ARTICLES = 16  # per request: a request takes a while, so the killed replica has some in flight


def replicas(server: Server) -> list[psutil.Process]:
    """The replicas' processes: actors of the local Ray the server started, so its descendants."""
    found = []
    for process in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if "ServeReplica:itnews" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


def summarise(url: str, number: int, count: int = ARTICLES) -> httpx.Response | Exception:
    try:
        articles = [{"id": f"{number}-{i}", "text": TEXT} for i in range(count)]
        return httpx.post(f"{url}/v1/summarise", json=articles, timeout=120)
    except httpx.HTTPError as err:  # a request without an answer: what the test must not see
        return err


def test_two_replicas_one_killed_mid_run_lose_no_request(tmp_path):
    server = Server(
        "--engine", "ray", "--replicas", "2", "--method", "extractive", "--lang", "it", "--max-wait-ms", "20",
        log=tmp_path / "stderr.log", timeout=300,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30  # printed once serve.run returns, just after the replicas are ready
        while "from 2 Ray Serve replicas" not in server.stderr():
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(0.2)
        first, second = replicas(server)
        model_processes = first.children(recursive=True)
        assert model_processes  # each replica runs its chain in a model process of its own

        with ThreadPoolExecutor(8) as pool:
            answers = [pool.submit(summarise, server.url, number) for number in range(REQUESTS)]
            while sum(answer.done() for answer in answers) < 4:  # requests in flight on both replicas
                time.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            answers = [answer.result() for answer in answers]

        lost = [answer for answer in answers if isinstance(answer, Exception)]
        assert not lost, lost
        summaries = [answer for answer in answers if answer.status_code == 200]
        assert len(summaries) >= REQUESTS // 2
        assert all(all(record["summary_it"] for record in answer.json()) for answer in summaries)
        # The killed replica's requests in flight: Ray Serve's proxy answers them 500 (it does not retry a
        # request a replica had taken); none is left without an answer.
        failed = [answer.status_code for answer in answers if answer.status_code != 200]
        assert failed and set(failed) == {500}, failed

        later = [summarise(server.url, number) for number in range(REQUESTS, REQUESTS + 6)]
        assert [answer.status_code for answer in later] == [200] * 6  # the replica alive answers
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200

        deadline = time.monotonic() + 180  # Ray Serve starts a replica in place of the dead one
        while len(replicas(server)) < 2 or second not in replicas(server):
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(1)
        assert first not in replicas(server)
        assert not any(process.is_running() for process in model_processes)  # no orphan model process

        with ThreadPoolExecutor(1) as pool:  # SIGTERM with a request in flight: it is answered
            in_flight = pool.submit(summarise, server.url, REQUESTS + 6, 200)  # a second or more
            time.sleep(0.3)
            status = server.stop()
            assert in_flight.result().status_code == 200
    finally:
        status = server.stop()
    assert status == 0, server.stderr()
    assert "Traceback" not in server.stderr()


def test_bad_engine_options_are_one_line_before_anything_serves(cli):
    for args in (["--replicas", "0"], ["--replicas", "2"], ["--gpus-per-replica", "1"]):
        assert cli("serve", *args).returncode == 2, args
    no_gpu = cli("serve", "--engine", "ray", "--gpus-per-replica", "1", "--method", "extractive")
    assert no_gpu.returncode == 1
    assert no_gpu.stderr.strip().splitlines()[-1] == "error: --gpus-per-replica: the Ray cluster has no GPU"


def test_replicas_whose_models_cannot_load_are_one_line_and_exit_1(cli, tmp_path):
    failed = cli("serve", "--engine", "ray", "--model", str(tmp_path), "--lang", "it", "--port", "0")
    assert failed.returncode == 2  # --port 0 refused before Ray starts
    port = str(free_port())
    failed = cli("serve", "--engine", "ray", "--model", str(tmp_path), "--lang", "it", "--port", port)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        f"error: Ray Serve: the app did not start: the models are not available: {tmp_path}: "
        f"{tmp_path} is not a model directory (no config.json)"
    ]
