"""gunicorn's settings for Hotline: read from the working directory (`gunicorn wsgi:app` run in
the project), or given with `-c gunicorn.conf.py`; `make run` passes it.

The access log leaves out the query string and the referer: an Open311 client may send its
api_key on a GET, and a search URL carries what was searched for (a phone number). Should a line
still hold one (a format changed on the command line), the app's record factory
(hotline/logs.py) redacts it in every worker.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
# Whatever format is chosen, the request line, query, referer and credential headers are cleaned.
logger_class = "hotline.gunicorn_logging.RedactingLogger"
# gunicorn's control socket sits at one fixed path per user (~/.gunicorn/gunicorn.ctl): two
# instances on one machine (make run beside a benchmark) took it from each other. Nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """Let a threaded worker hold queue polls until the queue changes (hotline/console/fastpoll.py),
    keeping a quarter of its threads (at least two) for pages and saves; QUEUE_HOLDS in the
    environment decides instead. A sync worker (one thread) holds none."""
    import os

    config = getattr(worker.wsgi, "config", None)
    if config is not None and "QUEUE_HOLDS" not in os.environ:
        threads = worker.cfg.threads
        config["QUEUE_HOLDS"] = max(0, threads - max(2, threads // 4))
