"""The Flask portal: create_app builds it around one Services object."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.config import Settings, load_settings
from kb.services import Services, build_services
from kb.web import (
    account,
    admin,
    api,
    desk,
    desk_api,
    errors,
    headers,
    i18n,
    inputs,
    insights,
    insights_api,
    knowledge,
    portal,
    presenters,
    problems,
    security,
    thresholds_api,
    visits,
)
from kb.web.limits import MAX_REQUEST_BYTES
from kb.web.secret import stored_secret


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    """The portal app; pass `services` to share a loaded model (tests, workers)."""
    settings = services.settings if services is not None else settings or load_settings()
    services = services or build_services(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or stored_secret(settings.home),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        JSON_SORT_KEYS=False,
    )
    if settings.trusted_proxies:
        # Behind a proxy, request.remote_addr (the sign-in limit's key), the scheme and the
        # host come from the headers the last `trusted_proxies` hops set, never from further
        # back, where a client could write them.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    if test_config:
        app.config.update(test_config)
    app.extensions["kb"] = services
    inputs.register(app)
    headers.register(app, settings.image_hosts)
    visits.register(app)
    errors.register(app)
    security.register(app)
    i18n.register(app)
    presenters.register(app)
    app.jinja_env.globals["demo_data"] = services.demo
    for module in (
        portal,
        api,
        account,
        admin,
        desk,
        desk_api,
        knowledge,
        problems,
        insights,
        insights_api,
        thresholds_api,
    ):
        app.register_blueprint(module.blueprint)
    return app
