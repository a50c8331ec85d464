"""The console behind a reverse proxy: which X-Forwarded-* headers to believe,
and cookies marked Secure whenever the browser reached us over TLS.

With HOTLINE_TRUSTED_PROXY_HOPS = 0 (the default) no forwarded header is
believed: anyone could send `X-Forwarded-For` to dodge the log-in limiter or
`X-Forwarded-Proto` to no effect. With N, werkzeug's ProxyFix takes the address,
scheme and host from the last N proxies; `request.is_secure` then says whether
the browser's own connection was https, and the session cookie is Secure if so.
(The console sets no remember-me cookie: `login_user` is called without remember.)
"""
from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class TlsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure on any request that came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask, trusted_proxy_hops: int) -> None:
    if trusted_proxy_hops > 0:
        hops = trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=0)
    app.session_interface = TlsAwareSessionInterface()

