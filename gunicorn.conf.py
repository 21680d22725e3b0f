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
