"""Gunicorn's settings for Studio's web processes: `gunicorn -c gunicorn.conf.py` from this folder.

Threaded workers (gthread): a coach answer's event stream holds its thread while it lasts, and with
threads a few open streams cannot starve the pages. Web processes run no background jobs: that is
`flask --app app studio worker`, started separately (as many as you like, on any machine that
reaches the database). Everything here can be set from the environment."""
import os
import shutil
import tempfile
from pathlib import Path

# Several processes each keep their page timings and open streams: prometheus_client keeps them in
# files here so /metrics adds them up. Set before any process imports the app (the master reads this
# file first; the app is not preloaded), and emptied when the server starts.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="studio-prometheus-"))
os.environ.setdefault("SCHEDULER_ENABLED", "false")  # the workers run the jobs, never a web process
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if os.environ.get("STUDIO_ENV") == "production" else "text")

wsgi_app = "app:app"
bind = os.environ.get("BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # a process silent this long is restarted
# On a stop, requests in flight finish within this; a coach answer's stream still open then is cut,
# and the browser reads the rest of the answer from the database when it reconnects.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))  # longer than load balancers' idle timeouts (60 s)
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))  # 0: processes are not recycled
max_requests_jitter = max_requests // 10
# With JSON logs Studio writes each request's line itself (with its id); with text, gunicorn does.
accesslog = None if LOG_FORMAT == "json" else "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Start the processes' metric files afresh: what a previous run left would be added up too."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def child_exit(server, worker):
    """A process that left: its open-stream gauge no longer counts (its counters still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
