"""The HTTP app: the summary chain behind a versioned JSON API, a page at ``/``, health and metrics.

```
POST /v1/summarise   one article or a list -> the records' summary view (as `summarise --json`)
POST /v1/check       an article and its summaries -> the guard's checks.faithfulness (as `check`)
POST /v1/digest      articles -> stories (as `digest --json`)
GET  /v1/stories     ?since=24h: the stories of the store (`serve --store`) with news since then
GET  /v1/models      presets, the models loaded and their provenance
GET  /healthz /readyz /metrics, GET / (the page), GET /docs (Swagger UI, served from fastapi-offline)
```

The steps are the command line's: ``make_chain`` is `build_chain` with the options, and the batcher
(`itnews.service.batcher`) runs it on batches gathered from concurrent requests. Every error is a
JSON object ``{"error": "<one line>"}`` with its status (413, 422, 401, 429, 503 with Retry-After,
504); an article that fails is ``{"id", "error"}`` in its place; no traceback reaches a response.
"""

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from itnews.core.record import SUMMARY, InputError, Record, output, valid_text
from itnews.core.steps import Chain
from itnews.service import worker
from itnews.service.access import Access, AccessDenied, Key
from itnews.service.batcher import Batcher, NotReady, QueueFull
from itnews.service.metrics import Metrics

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations, some of
# them local to `create_app`, at definition time.

log = logging.getLogger("itnews.service")
RETRY_AFTER_S = 1  # a full queue drains within a batch or two


@dataclass
class Settings:
    max_batch: int = 32
    max_wait_ms: float = 10.0
    queue: int = 256  # articles waiting for a batch
    timeout_s: float = 60.0  # per request, from arrival to response
    max_body_bytes: int = 10 * 2**20  # an HTML page may be as large as `ingest` reads (10 MB)
    max_digest: int = 200  # articles per digest request
    words: int = 70  # the digest's summary length (the summary options' --words)
    keys: dict[str, Key] | None = None
    cors_origins: list[str] = field(default_factory=list)
    store: str | None = None  # the store `itnews watch` fills (`GET /v1/stories`)


class ServiceError(Exception):
    """A refusal with its status and one-line reason (and headers, such as Retry-After)."""

    def __init__(self, status: int, reason: str, headers: dict | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers


# --- request bodies -------------------------------------------------------------------------


class Article(BaseModel):
    """One article: its text or its HTML page (whose main text and headline are extracted)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=1000, description="Echoed back; default: its position, from 1.")
    title: str | None = Field(None, max_length=10_000)
    text: str | None = Field(None, description="Plain text: paragraphs one per line or blank-line apart.")
    html: str | None = Field(None, description="A web page; its main text is extracted.")

    @model_validator(mode="after")
    def text_or_html(self):
        if (self.text is None) == (self.html is None):
            raise ValueError("give one of text and html")
        return self

    @property
    def chars(self) -> int:
        return len(self.text if self.text is not None else self.html)


class DigestArticle(Article):
    outlet: str | None = Field(None, description="Who published it; default: its id.")
    published: str | None = Field(None, description="When, ISO 8601 (for the timeline).")


class DigestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[DigestArticle] = Field(min_length=1)


class Summaries(BaseModel):
    model_config = ConfigDict(extra="forbid")
    it: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def at_least_one(self):
        if self.it is None and self.en is None:
            raise ValueError("give it, en or both")
        return self


class Error(BaseModel):
    error: str = Field(description="One line: what was wrong, naming the field for a schema error.")


ERRORS = {
    status: {"model": Error, "description": description}
    for status, description in [
        (401, "A missing or unknown API key"),
        (413, "The body is over the size limit"),
        (422, "The body does not fit the schema, or the article cannot be used"),
        (429, "The key is over its requests per minute or characters per request"),
        (503, "The queue is full or the models are loading (Retry-After)"),
        (504, "No answer within the request timeout"),
    ]
}


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article: Article
    summaries: Summaries


# --- the app --------------------------------------------------------------------------------


def create_app(
    make_chain: Callable[[], Chain], settings: Settings, on_fatal: Callable[[str], None] = lambda reason: None
):
    """The app, its models loaded by ``make_chain`` (picklable: it runs in the model process) once
    it starts. The ASGI app returned is the FastAPI app inside `Gate` (request ids, body limit,
    metrics, log)."""
    from contextlib import asynccontextmanager

    from fastapi_offline import FastAPIOffline

    metrics = Metrics()
    access = Access(settings.keys)

    def fatal(reason: str) -> None:
        log.error(json.dumps({"event": "models failed to load", "error": reason}))
        on_fatal(reason)

    batcher = Batcher(
        make_chain,
        max_batch=settings.max_batch,
        max_wait_s=settings.max_wait_ms / 1000,
        queue_limit=settings.queue,
        on_batch=metrics.batch,
        on_depth=metrics.queue_depth.set,
        on_fatal=fatal,
    )

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        yield
        await run_in_threadpool(batcher.stop, settings.timeout_s)

    api = FastAPIOffline(
        title="itnews",
        summary="Summaries of Italian news articles, in Italian and English, with their facts checked.",
        version="1",
        redoc_url=None,
        static_url="/docs-assets",
        lifespan=lifespan,
    )
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
        )
    add_error_handlers(api)

    def caller(request: Request) -> Key | None:
        key = access.admit(request.headers)
        if key is not None:
            request.scope["itnews.key"] = key.name
        return key

    Caller = Annotated[Key | None, Depends(caller)]

    async def timed(awaitable):
        try:
            return await asyncio.wait_for(awaitable, settings.timeout_s)
        except TimeoutError:
            raise ServiceError(504, f"no answer within {settings.timeout_s:g} s") from None

    @api.post("/v1/summarise", tags=["v1"], responses=ERRORS)
    async def summarise(
        key: Caller, body: Annotated[Article | list[Article], Body(description="An article or a list.")]
    ) -> Any:
        """Summaries of one article (an object back) or a list (a list back, in order): each the
        record's summary view, as ``itnews summarise --json`` prints it, or ``{"id", "error"}``."""
        articles = body if isinstance(body, list) else [body]
        if not articles:
            raise ServiceError(422, "body: the list of articles is empty")
        if len(articles) > settings.queue:  # it could never be queued: no point retrying it
            raise ServiceError(
                422, f"body: {len(articles)} articles, over the {settings.queue} this server queues at once"
            )
        access.check_chars(key, sum(article.chars for article in articles))
        records = await prepared_off_loop(articles)
        done = await timed(batcher.submit(records))
        results = [output(r, SUMMARY) if r.ok else {"id": r.id, "error": r.error} for r in done]
        metrics.article_errors.labels("/v1/summarise").inc(sum(not r.ok for r in done))
        if isinstance(body, list):
            return results
        return JSONResponse(results[0], status_code=200 if done[0].ok else 422)

    @api.post("/v1/check", tags=["v1"], responses=ERRORS)
    async def check(key: Caller, body: CheckRequest) -> Any:
        """The guard on summaries made anywhere (``itnews check``): each figure, date and name of
        each summary traced back to the article; ``faithfulness`` is the record's
        ``checks.faithfulness``."""
        access.check_chars(key, body.article.chars)
        (record,) = await prepared_off_loop([body.article])
        summaries = {record.id: body.summaries.model_dump(exclude_none=True)}
        (record,) = await timed(batcher.call(worker.check, [record], summaries))
        if not record.ok:
            return JSONResponse({"id": record.id, "error": record.error}, status_code=422)
        return {"id": record.id, "faithfulness": record.checks["faithfulness"], "warnings": record.warnings}

    @api.post("/v1/digest", tags=["v1"], responses=ERRORS)
    async def digest(key: Caller, body: DigestRequest) -> Any:
        """Articles grouped into stories, each with a headline, one summary, its sources, timeline
        and disputed figures: the stories of ``itnews digest --json``. ``errors`` lists the
        articles that could not be used."""
        if len(body.articles) > settings.max_digest:
            raise ServiceError(
                422, f"articles: {len(body.articles)} articles, over the limit of {settings.max_digest}"
            )
        access.check_chars(key, sum(article.chars for article in body.articles))
        records = await prepared_off_loop(body.articles)
        stories, failed = await timed(batcher.call(worker.digest, records, settings.words))
        if not stories:
            raise ServiceError(
                422, f"no article to digest ({failed[0]['error']})" if failed else "no article"
            )
        return {"stories": stories, "errors": failed}

    @api.get(
        "/v1/stories", tags=["v1"], responses={404: {"model": Error, "description": "No store"}, **ERRORS}
    )
    def stories(key: Caller, since: str = "24h") -> Any:
        """The stories of the server's store (``serve --store``) with news since ``since`` (a
        duration back from now: 24h, 3d, 90m; or an ISO 8601 date or time), the latest first: each a
        story of ``digest --json`` with ``first_seen``/``last_seen`` (when the store got its first and
        last articles) and ``closed``."""
        from itnews.monitor.store import Store, cutoff

        if settings.store is None:
            raise ServiceError(404, "this server reads no store (itnews serve --store news.db)")
        try:
            when = cutoff(since)
        except ValueError as err:
            raise ServiceError(422, f"since: {err}") from None
        try:
            with Store(settings.store, create=False) as store:
                return {"since": when, "stories": [stored.to_dict() for stored in store.stories(when)]}
        except InputError as err:
            raise ServiceError(503, f"{err.item}: {err.reason}") from None

    @api.get("/v1/models", tags=["v1"], responses={401: ERRORS[401], 429: ERRORS[429]})
    def models(key: Caller) -> Any:
        """The presets (and whether each is in the local cache), and the models this server
        loaded with their provenance (empty until ready)."""
        from itnews.summarise.presets import is_cached, load_presets

        presets, defaults = load_presets()
        listed = [
            {
                "name": p.name,
                "task": p.task,
                "hub_id": p.hub_id,
                "cached": is_cached(p.hub_id),
                "default": p.name in defaults.values(),
            }
            for p in presets.values()
        ]
        return {"presets": listed, "ready": batcher.ready, "loaded": batcher.loaded or {}}

    @api.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Alive: the server answers (models may still be loading)."""
        return {"status": "alive"}

    @api.get("/readyz", tags=["health"])
    def readyz() -> dict:
        """Ready: the models are loaded (503 until they are)."""
        try:
            batcher.check_ready()
        except NotReady as err:
            raise ServiceError(503, str(err), {"Retry-After": "5"}) from None
        metrics.ready.set(1)
        return {"status": "ready"}

    @api.get("/metrics", tags=["health"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus text: requests and errors by endpoint and status, latency, batch sizes,
        queue depth."""
        body, content_type = metrics.text()
        return Response(body, media_type=content_type)

    @api.get("/", include_in_schema=False)
    def page() -> FileResponse:
        from importlib.resources import files

        return FileResponse(str(files("itnews.service").joinpath("page", "index.html")))

    api.mount("/page", StaticFiles(packages=[("itnews.service", "page")]), name="page")
    api.state.batcher = batcher
    api.state.until_ready = batcher.until_ready  # a Ray Serve replica's health check (engines.ray_serve)
    routes = {route.path for route in api.routes if hasattr(route, "path")}
    return Gate(api, settings.max_body_bytes, metrics, routes)


async def prepared_off_loop(articles: list[Article]) -> list[Record]:
    """`prepared`, in a worker thread when there is HTML to extract (plain text costs less than the hop)."""
    if any(article.html is not None for article in articles):
        return await run_in_threadpool(prepared, articles)
    return prepared(articles)


def prepared(articles: list[Article]) -> list[Record]:
    """The records of the articles, HTML pages reduced to their main text (a page without article
    text is an error record, as `ingest` makes one)."""
    from itnews.ingest.html import extract_html

    records = []
    for number, article in enumerate(articles, 1):
        article_id = valid_text(article.id) if article.id else str(number)
        title = valid_text(article.title).strip() or None if article.title else None
        record = Record(id=article_id, source=article_id, title=title)
        for name in ("outlet", "published"):
            setattr(record, name, getattr(article, name, None))
        if article.html is not None:
            try:
                record.text, found = extract_html(valid_text(article.html), article_id)
                record.title = record.title or found
            except InputError as err:
                record.fail(err.item, err.reason)
        else:
            record.text = valid_text(article.text)
        records.append(record)
    return records


# --- errors ---------------------------------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_response(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(reason)}, status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """The first schema error, on one line, naming its field (``body.articles.0.text: ...``).
    For a body that may be one article or a list, the errors of the shape that was sent."""
    errors = exc.errors()
    body = getattr(exc, "body", None)
    shaped = [
        e for e in errors if any(str(part).startswith("list[") for part in e["loc"]) == isinstance(body, list)
    ]
    error = (shaped or errors)[0]
    loc = [
        str(part)
        for part in error["loc"]
        if not (isinstance(part, str) and ("[" in part or part == "Article"))
    ]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "json_invalid":  # its loc is a character position, not a field
        loc, message = ["body"], f"not valid JSON ({error.get('ctx', {}).get('error', 'syntax')})"
    return f"{'.'.join(loc)}: {message}"


def add_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        return error_response(422, validation_message(exc))

    @api.exception_handler(StarletteHTTPException)  # FastAPI's own and the router's (404, 405)
    async def http_error(request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @api.exception_handler(ServiceError)
    async def refused(request, exc: ServiceError):
        return error_response(exc.status, exc.reason, exc.headers)

    @api.exception_handler(AccessDenied)
    async def denied(request, exc: AccessDenied):
        return error_response(exc.status, exc.reason)

    @api.exception_handler(QueueFull)
    async def full(request, exc: QueueFull):
        return error_response(503, str(exc), {"Retry-After": str(RETRY_AFTER_S)})

    @api.exception_handler(NotReady)
    async def not_ready(request, exc: NotReady):
        return error_response(503, str(exc), {"Retry-After": "5"})

    @api.exception_handler(Exception)
    async def internal(request, exc: Exception):
        return error_response(500, f"internal error: {type(exc).__name__}: {exc}")


# --- the gate every request passes ----------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"request body over the limit of {limit:,} bytes")


class Gate:
    """Around the app: a request id (``X-Request-ID``, kept if the caller sent one), the body size
    limit (413), the request's metrics and one JSON log line (id, method, path, status, seconds,
    key name); an exception that escaped the app's handlers becomes a one-line 500."""

    def __init__(self, app: FastAPI, max_body_bytes: int, metrics: Metrics, routes: set[str]):
        self.app, self.max_body_bytes, self.metrics, self.routes = app, max_body_bytes, metrics, routes
        self.state = app.state  # for tests and the server: the batcher

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or uuid.uuid4().hex
        status = 500
        sent = False

        async def send_with_id(message):
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
                message = {
                    **message,
                    "headers": [
                        *message["headers"],
                        (b"x-request-id", request_id.encode("latin-1", "replace")),
                    ],
                }
            await send(message)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            return message

        try:
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await error_response(413, BodyTooLarge(self.max_body_bytes).detail)(
                    scope, receive, send_with_id
                )
            else:
                await self.app(scope, limited_receive, send_with_id)
        except Exception as err:  # the app's handlers answered what they could; never a traceback
            if not sent:
                await error_response(500, f"internal error: {type(err).__name__}")(
                    scope, receive, send_with_id
                )
        finally:
            seconds = time.perf_counter() - started
            endpoint = scope["path"] if scope["path"] in self.routes else "other"
            self.metrics.request(endpoint, status, seconds)
            line = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"][:200],
                "status": status,
                "seconds": round(seconds, 4),
                "key": scope.get("itnews.key"),
            }
            log.info(json.dumps(line, ensure_ascii=False))
