"""Server time and SQL queries of each response, in headers that the benchmark reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

QUERIES_HEADER = "X-Bench-Queries"


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>, cpu;dur=<ms>` and the number of SQL statements run.

    `app` is the wall-clock time through every middleware and the view; `cpu` is the CPU time this
    process spent on it, which another process's load hardly changes (a database server's own work is
    in `app` only).

        Queries are counted with an execute wrapper on every database connection, so the count is
        right with DEBUG off (the benchmark servers run as in production) and equals what
        `CaptureQueriesContext` would see.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counter))
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = self.get_response(request)
            elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.3f}, cpu;dur={cpu * 1000:.3f}"
        response.headers[QUERIES_HEADER] = str(count)
        return response
