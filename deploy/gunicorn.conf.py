"""gunicorn settings for Relais (docs/deploy.md, "Sizing the web processes")."""

import multiprocessing
import os

bind = os.environ.get("RELAIS_BIND", "127.0.0.1:8000")
# threads serve the many short requests (the redirector, htmx fragments) while a worker
# waits on the database; one worker per core keeps Python's GIL from being the limit
worker_class = "gthread"
workers = int(os.environ.get("RELAIS_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("RELAIS_THREADS", 4))
# a request that takes longer is a bug or an attack: CSV imports run in steps
timeout = 60
# on SIGTERM workers get this long to finish requests and flush buffered clicks
graceful_timeout = 30
keepalive = 5
# recycle workers now and then (bounded memory over months)
max_requests = 10_000
max_requests_jitter = 1_000
# the app writes its own one-line-per-request log (LOG_FORMAT=json); no duplicate here
accesslog = None
errorlog = "-"
