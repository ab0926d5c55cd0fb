"""Benchmark and load-test tooling (`make bench`, `make load`); nothing here is served in production.

`settings` extends the project settings for the benchmark servers only: a bare signed-in page
(`urls`) and a middleware that reports server time and SQL queries per response (`middleware`).
`harness` seeds and serves the data sets, times the pages and writes the report; `locustfile`
holds the journeys of the load test.
"""
