"""Gunicorn's settings for production; `gunicorn config.wsgi` run from this folder reads them.

Gunicorn names itself in a `Server` header on every response and has no setting to stop it;
a banner only helps whoever looks for servers of a known version, so it is left out here.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _headers_without_server_banner(response) -> list[str]:
    return [line for line in _default_headers(response) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server_banner
