"""The API docs page (Redoc), held to "nothing from the internet".

Its assets come from this deployment (drf-spectacular-sidecar) and its template links no web fonts
(``ignite_bridge/templates/drf_spectacular/redoc.html``). Redoc itself still renders an
``<img src="https://cdn.redoc.ly/...">`` logo in its menu footer, with no option to turn it off, so the
page answers with a Content-Security-Policy that lets the browser load from this origin only (plus
the ``blob:`` worker Redoc starts for its search): the logo is not fetched, and neither would anything
a later Redoc adds.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularRedocView

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' blob:",  # the template's Redoc.init call; the search worker
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",  # Redoc styles its components inline
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
    )
)


class ApiDocsView(SpectacularRedocView):
    schema = None  # the docs page is not an endpoint of the API it documents

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
