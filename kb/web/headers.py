"""Security headers on every answer: a Content-Security-Policy without inline script, no
sniffing, no framing, no referrer sent to other sites."""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, Response

# Pages load their script, style and images from this site only (plus the image hosts an
# admin allows, and data: images such as the empty favicon, which tell no one anything): no
# inline script or style attribute runs, so a sanitiser miss cannot become script. Forms
# post here only, and no one may frame a page (clickjacking).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(image_hosts: Collection[str] = ()) -> str:
    """The policy for a portal whose articles may show images from `image_hosts`."""
    return POLICY.format(images=" ".join(["'self'", "data:", *image_hosts]))


def register(app: Flask, image_hosts: Collection[str]) -> None:
    headers = {
        "Content-Security-Policy": content_security_policy(image_hosts),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
