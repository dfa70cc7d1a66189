"""The project's own benchmark (DESIGN.md "Performance"): the product's figures beside baselines.

`cases.bench.runner.run_benchmark` generates a deterministic data set, measures the import path,
the statistics endpoints over HTTP and the dashboard, and in the same run the baselines (PostgreSQL
COPY, one hand-written SQL GROUP BY per statistic, pandas over a CSV export), and checks that the
product's numbers equal the baselines'. `manage.py bench` is its command-line face.
"""
