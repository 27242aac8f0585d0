"""Prometheus metrics of one app: requests and errors by endpoint and status, latency, batch sizes,
queue depth. Each app has its own registry, so that several apps in one process (tests) do not
share counts."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "itnews_requests",
            "HTTP requests by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "itnews_errors",
            "HTTP responses with an error status (4xx, 5xx) by endpoint and status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.article_errors = Counter(
            "itnews_article_errors",
            "Articles answered with an error record.",
            ["endpoint"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "itnews_request_seconds",
            "Request latency by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "itnews_batch_records",
            "Records per batch run by the model steps.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "itnews_batch_seconds",
            "Time to run one batch through the model steps.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "itnews_queue_depth", "Articles waiting for a batch.", registry=self.registry
        )
        self.ready = Gauge("itnews_ready", "1 once the models are loaded.", registry=self.registry)

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        if status >= 400:
            self.errors.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def text(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
