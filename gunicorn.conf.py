"""Gunicorn's settings for Studio's web processes: `gunicorn -c gunicorn.conf.py` from this folder.

Threaded workers (gthread): a coach answer's event stream holds its thread for minutes, and with
threads a few open streams cannot starve the pages. Web processes run no background jobs: that is
`flask --app app studio worker`, started separately (as many as you like, on any machine that
reaches the database). Everything here can be set from the environment."""
import os

wsgi_app = "app:app"
bind = os.environ.get("BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))  # requests in flight finish on a stop
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))  # recycled now and then, staggered
max_requests_jitter = max_requests // 10
accesslog = None  # Studio logs each request itself, with its id (LOG_FORMAT=json for JSON lines)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

os.environ.setdefault("SCHEDULER_ENABLED", "false")  # the workers run the jobs, never a web process


def child_exit(server, worker):
    """With several processes, Prometheus's per-process files of the one that left are let go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
