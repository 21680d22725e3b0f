"""gunicorn's access log without secrets: the logger class gunicorn.conf.py names.

Whatever --access-logformat a deployment chooses, the request line (%(r)s) loses its query
string, the query (%(q)s) is redacted, the referer (%(f)s) loses its query, and the headers and
environment values that carry credentials (Authorization, Cookie, Twilio's signature) are
redacted. Imported by gunicorn's workers only.
"""

from gunicorn import glogging

from hotline.logs import REDACTED

SECRET_KEYS = {
    "{authorization}i", "{proxy-authorization}i", "{cookie}i", "{x-twilio-signature}i", "{set-cookie}o",
    "{query_string}e", "{raw_uri}e", "{request_uri}e", "{http_authorization}e", "{http_cookie}e",
    "{http_x_twilio_signature}e", "{http_proxy_authorization}e",
}
REFERER_KEYS = {"f", "{referer}i", "{http_referer}e"}


def _without_query(value):
    return value.split("?", 1)[0] if isinstance(value, str) else value


class RedactingLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {_without_query(environ.get('RAW_URI', ''))} " \
                     f"{environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = REDACTED if atoms.get("q") else ""
        for key in REFERER_KEYS & atoms.keys():
            atoms[key] = _without_query(atoms[key])
        for key in SECRET_KEYS & atoms.keys():
            atoms[key] = REDACTED
        return atoms
