"""``/favicon.ico``: browsers ask for it on every page (the API docs, JSON answers); send them to the icon.

The static URL is resolved per request, not at import: with the production storage it comes from the
collectstatic manifest, which a management command run before ``collectstatic`` does not have.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(static("ignite/favicon.svg"))
