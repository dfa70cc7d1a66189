"""gunicorn settings for caseqa (deploy/systemd/caseqa-web.service: `gunicorn -c deploy/gunicorn.conf.py`).

Every value can be overridden in the environment file (GUNICORN_*); sizing in docs/deploy.md.
"""

import os

from prometheus_client import multiprocess

bind = os.getenv("GUNICORN_BIND", "127.0.0.1:8000")
# docs/performance.md: one sync worker per core plus one serves the office's read load; each takes
# about 180 MB at 1M cases.
workers = int(os.getenv("GUNICORN_WORKERS", str((os.cpu_count() or 1) + 1)))
# The largest page exports; imports run in the background worker, not in a request.
timeout = int(os.getenv("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
# Recycle workers now and then so that a slow leak never takes the server down.
max_requests = 2000
max_requests_jitter = 200
wsgi_app = "caseqa.wsgi:application"
# caseqa writes its own request log (one line per request, no client address): no access log here.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.getenv("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def child_exit(server, worker):
    """Metrics of a worker that is gone stop counting as live gauges (PROMETHEUS_MULTIPROC_DIR)."""
    if os.getenv("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
