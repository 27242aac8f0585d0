"""`itnews serve`: a real server on a free loopback port, called by a real HTTP client (httpx).

Every endpoint, the same records as `summarise --json`, batching under 64 concurrent requests (a
tiny seq2seq model and translator), every error status, API keys and their limits, a clean stop
with requests in flight."""

import asyncio
import concurrent.futures
import hashlib
import json
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from .conftest import CORPUS
from .serving import Server

ARTICLE = CORPUS / "articles" / "politica-01.txt"
TEXT = ARTICLE.read_text(encoding="utf-8")
SEQ2SEQ_TIMEOUT = 120


def assert_one_line_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and "\n" not in body["error"] and "Traceback" not in response.text
    return body["error"]


@pytest.fixture(scope="module")
def extractive(tmp_path_factory):
    server = Server("--max-wait-ms", "20", log=tmp_path_factory.mktemp("serve") / "stderr.log")
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory):
    """A tiny BART summariser (random weights, real tokenizer) served. Italian only: a random
    model writes its 128 tokens under 4 beams, and translating them costs 3x more on 2 cores."""
    from tests.tiny_models import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-serve")
    bart = build_tiny_model("bart", root / "bart")
    server = Server(
        "--model", str(bart), "--lang", "it", "--max-batch", "16", "--max-wait-ms", "50", "--timeout", "300",
        log=root / "stderr.log", ready=False,
    )  # fmt: skip
    server.loading = server.first_answers()  # alive while the models load, ready once loaded
    server.wait_ready(180)
    yield server
    assert server.stop() == 0


# --- the endpoints -----------------------------------------------------------------------------


def test_summarise_gives_the_records_of_summarise_json(extractive, cli):
    expected = json.loads(cli("summarise", str(ARTICLE), "--json").stdout)
    one = httpx.post(f"{extractive.url}/v1/summarise", json={"id": "politica-01", "text": TEXT}, timeout=60)
    assert one.status_code == 200, one.text
    served = one.json()
    assert list(served) == list(expected)  # the summary view: same fields, same order
    for name in ("id", "summary_it", "summary_en", "method", "model", "checks", "warnings"):
        assert served[name] == expected[name], name
    assert one.headers["x-request-id"]


def test_a_list_is_answered_in_order_with_errors_in_place(extractive):
    html = (CORPUS / "articles" / "politica-03.html").read_text(encoding="utf-8")
    articles = [{"text": TEXT}, {"text": "  "}, {"html": html, "id": "page"}, {"text": "x" * 200_001}]
    answer = httpx.post(f"{extractive.url}/v1/summarise", json=articles, timeout=60)
    assert answer.status_code == 200
    first, empty, page, long = answer.json()
    assert first["id"] == "1" and first["summary_it"]
    assert empty == {"id": "2", "error": "2: empty input"}
    assert page["id"] == "page" and page["summary_it"]
    assert long == {
        "id": "4",
        "error": "4: article too long: 200,001 characters (limit 200,000); split it first",
    }


def test_check_gives_the_guards_faithfulness(extractive):
    summaries = {"it": "Il Senato ha approvato una manovra da 99 miliardi di euro."}
    answer = httpx.post(
        f"{extractive.url}/v1/check", json={"article": {"text": TEXT}, "summaries": summaries}
    )
    assert answer.status_code == 200, answer.text
    faithfulness = answer.json()["faithfulness"]
    assert faithfulness["en"] is None
    unsupported = faithfulness["it"]["unsupported"]
    assert {"text": "99 miliardi di euro", "kind": "amount", "count": 1} in unsupported


def test_digest_gives_stories_as_digest_json(extractive):
    names = ["politica-01.txt", "politica-02.txt", "sport-01.txt"]
    articles = [{"id": n, "text": (CORPUS / "articles" / n).read_text(encoding="utf-8")} for n in names]
    answer = httpx.post(
        f"{extractive.url}/v1/digest", json={"articles": [*articles, {"text": ""}]}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    stories = body["stories"]
    assert sorted(a for story in stories for a in story["articles"]) == sorted(names)
    assert {"story_id", "headline", "summary_it", "sources", "figures", "timeline"} <= set(stories[0])
    assert body["errors"] == [{"id": "4", "error": "4: empty input"}]


def test_models_health_metrics_page_and_docs(extractive):
    with httpx.Client(base_url=extractive.url) as client:
        models = client.get("/v1/models").json()
        assert models["ready"] and models["loaded"]["summariser"]["name"] == "itnews-extractive"
        assert any(preset["name"] == "opus-mt-it-en" for preset in models["presets"])
        assert client.get("/healthz").json() == {"status": "alive"}
        assert client.get("/readyz").json() == {"status": "ready"}
        assert "/v1/summarise" in client.get("/openapi.json").json()["paths"]
        page = client.get("/").text
        docs = client.get("/docs").text
        for html in (page, docs):  # everything they load comes from this server
            assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert client.get("/page/page.js").status_code == 200
        metrics = client.get("/metrics").text
    assert 'itnews_requests_total{endpoint="/v1/models",status="200"}' in metrics
    assert "itnews_request_seconds_bucket" in metrics and "itnews_queue_depth" in metrics


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"txt": "x"}, "body.txt: Extra inputs are not permitted"),
        ({"text": 3}, "body.text: Input should be a valid string"),
        ([{"text": "a"}, {"html": None}], "body.1: Value error, give one of text and html"),
        ({"text": "a", "html": "b"}, "body: Value error, give one of text and html"),
        ([], "body: the list of articles is empty"),
    ],
)
def test_schema_errors_are_422_naming_the_field(extractive, body, message):
    error = assert_one_line_error(httpx.post(f"{extractive.url}/v1/summarise", json=body), 422)
    assert error == message.replace("Value error, ", "")


def test_bad_json_body_size_and_unknown_paths(extractive):
    with httpx.Client(base_url=extractive.url) as client:
        bad = client.post("/v1/summarise", content=b'{"text": ', headers={"content-type": "application/json"})
        assert assert_one_line_error(bad, 422).startswith("body: not valid JSON")
        big = client.post(
            "/v1/summarise", content=b"x" * 10_000_001, headers={"content-type": "application/json"}
        )
        assert_one_line_error(big, 413)
        assert_one_line_error(client.get("/v1/nothing"), 404)
        assert_one_line_error(client.get("/v1/summarise"), 405)
        single_too_long = client.post("/v1/summarise", json={"text": "x" * 200_001})
        assert single_too_long.status_code == 422 and "article too long" in single_too_long.json()["error"]


def test_a_full_queue_is_503_with_retry_after_and_a_slow_answer_504(tmp_path):
    from tests.tiny_models import build_tiny_model

    bart = build_tiny_model("bart", tmp_path / "bart")
    # With a model, a batch waits --max-wait-ms for more articles: the first request holds the queue's
    # one place for 1.5 s, longer than its --timeout.
    server = Server(
        "--model", str(bart), "--lang", "it", "--queue", "1", "--max-wait-ms", "1500", "--timeout", "0.7",
        log=tmp_path / "log",
    )  # fmt: skip
    try:
        url = f"{server.url}/v1/summarise"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(httpx.post, url, json={"text": TEXT}, timeout=30)
            time.sleep(0.3)
            full = httpx.post(url, json={"text": TEXT})
            assert_one_line_error(full, 503)
            assert full.headers["retry-after"] == "1"
            assert_one_line_error(first.result(), 504)
        # More articles than the queue ever holds: no use retrying, so 422, not 503.
        never = httpx.post(url, json=[{"text": TEXT}, {"text": TEXT}])
        assert_one_line_error(never, 422)
        assert "2 articles, over the 1 this server queues at once" in never.json()["error"]
    finally:
        assert server.stop() == 0


def test_a_model_that_cannot_load_is_one_line_and_exit_1(tmp_path):
    server = Server("--model", str(tmp_path / "no-such-model"), log=tmp_path / "log", ready=False)
    assert server.process.wait(timeout=120) == 1
    errors = [line for line in server.stderr().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "no-such-model" in errors[0]


# --- keys --------------------------------------------------------------------------------------


def test_api_keys_and_their_limits(tmp_path):
    keys = tmp_path / "keys.toml"
    digest = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("key-a", "key-b")}
    entries = [("a", 2, 100_000), ("b", 100, 100)]  # name, requests per minute, characters per request
    keys.write_text(
        "".join(
            f'[[keys]]\nname = "{name}"\nsha256 = "{digest["key-" + name]}"\n'
            f"requests_per_minute = {rpm}\nchars_per_request = {chars}\n"
            for name, rpm, chars in entries
        )
    )
    server = Server("--api-keys", str(keys), log=tmp_path / "log")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.get("/healthz").status_code == 200  # health needs no key
            assert_one_line_error(client.post("/v1/summarise", json={"text": TEXT}), 401)
            assert_one_line_error(
                client.post("/v1/summarise", json={"text": TEXT}, headers={"X-API-Key": "no"}), 401
            )
            ok = client.post("/v1/summarise", json={"text": TEXT}, headers={"X-API-Key": "key-a"})
            bearer = client.post(
                "/v1/summarise", json={"text": TEXT}, headers={"Authorization": "Bearer key-a"}
            )
            assert ok.status_code == bearer.status_code == 200
            over = client.post("/v1/summarise", json={"text": TEXT}, headers={"X-API-Key": "key-a"})
            assert "2 requests per minute" in assert_one_line_error(over, 429)
            chars = client.post("/v1/summarise", json={"text": TEXT}, headers={"X-API-Key": "key-b"})
            assert "100 per request" in assert_one_line_error(chars, 429)
        lines = [json.loads(line) for line in server.stderr().splitlines() if line.startswith("{")]
        assert {"request_id", "status", "seconds"} <= set(lines[-1]) and lines[-1]["key"] == "b"
        assert digest["key-a"] not in server.stderr() and "key-a" not in server.stderr()
    finally:
        assert server.stop() == 0


# --- a seq2seq model: batching, stopping --------------------------------------------------------


def concurrent_summaries(url: str, count: int) -> list[dict]:
    texts = [(CORPUS / "articles" / path.name).read_text(encoding="utf-8", errors="replace")
             for path in sorted((CORPUS / "articles").glob("*.txt"))]  # fmt: skip

    async def call_all():
        async with httpx.AsyncClient(base_url=url, timeout=SEQ2SEQ_TIMEOUT) as client:
            return await asyncio.gather(
                *(
                    client.post("/v1/summarise", json={"id": str(i), "text": texts[i % len(texts)]})
                    for i in range(count)
                )
            )

    answers = asyncio.run(call_all())
    assert [a.status_code for a in answers] == [200] * count
    records = [a.json() for a in answers]
    assert [r["id"] for r in records] == [str(i) for i in range(count)]
    metrics = httpx.get(f"{url}/metrics").text
    values = dict(
        line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("itnews_batch_records_")
    )
    assert float(values["itnews_batch_records_sum"]) >= count  # every article went through a batch...
    assert float(values["itnews_batch_records_count"]) < float(
        values["itnews_batch_records_sum"]
    )  # ...with others
    return records


def test_64_concurrent_requests_are_all_answered_in_batches(extractive):
    records = concurrent_summaries(extractive.url, 64)
    assert all(r["method"] == "extractive" and r["summary_it"] for r in records)


@pytest.mark.slow
def test_alive_before_ready_while_the_models_load(seq2seq):
    healthz, readyz = seq2seq.loading
    assert healthz.status_code == 200
    assert readyz.status_code == 503 and readyz.json() == {"error": "the models are loading"}
    assert readyz.headers["retry-after"]


@pytest.mark.slow
def test_a_seq2seq_model_batches_concurrent_requests(seq2seq):
    records = concurrent_summaries(seq2seq.url, 16)
    assert all(r["method"] == "seq2seq" and r["summary_it"] for r in records)
    assert records[0]["model"]["summariser"]["name"].endswith("bart")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_finishes_the_requests_in_flight_and_exits_0(tmp_path, stop):
    server = Server("--max-wait-ms", "1500", log=tmp_path / "log")
    answers: list = []

    def call(number: int) -> None:
        response = httpx.post(
            f"{server.url}/v1/summarise", json={"text": TEXT, "id": str(number)}, timeout=60
        )
        answers.append(response.status_code)

    callers = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for caller in callers:
        caller.start()
    time.sleep(0.5)  # the requests wait in the batcher (max-wait 1.5 s)
    server.process.send_signal(stop)
    time.sleep(0.5)
    with pytest.raises(httpx.TransportError):  # no new connections once stopping
        httpx.get(f"{server.url}/healthz", timeout=2)
    started = time.monotonic()
    assert server.process.wait(timeout=60) == 0
    assert time.monotonic() - started < 30
    for caller in callers:
        caller.join()
    assert answers == [200] * 4


def test_the_cli_does_not_import_the_server_libraries():
    code = "import sys, itnews.cli; print(sorted({'fastapi', 'uvicorn', 'starlette'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"
