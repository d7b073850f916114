"""The platform's install flow: the credentials callback and the merchant's return page.

Plain Django views without bearer auth: the *platform* calls the callback (WooCommerce POSTs the
new keys from the store server), and the merchant's browser lands on the return page. The
callback trusts nothing but the one-time state token in its URL and body, and on success answers
exactly ``200`` (WooCommerce deletes the new key on any other answer).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from connections.errors import (
    InstallCallbackInvalid,
    InstallStateInvalid,
    PlatformCredentialsRefused,
    UpstreamUnavailable,
)
from connections.models import ConnectionState
from connections.selectors import connection_get_by_uuid
from connections.services import connection_install_complete
from ignite_bridge.core.problems import problem_response
from sync.jobs.connection_lifecycle import connection_activated

#: WooCommerce's callback body is ~250 bytes
MAX_CALLBACK_BYTES = 16 * 1024


@csrf_exempt
@require_POST
def install_callback(request: HttpRequest, platform: str, connection_uuid: str) -> HttpResponse:
    connection = connection_get_by_uuid(connection_uuid=connection_uuid, platform=platform)
    if connection is None:
        return problem_response(404, detail="Unknown install.")
    try:
        body = request.body
    except RequestDataTooBig:
        body = b"x" * (MAX_CALLBACK_BYTES + 1)
    if len(body) > MAX_CALLBACK_BYTES:
        return problem_response(400, detail="The callback body is too large.")
    try:
        connection_install_complete(
            connection=connection,
            body=body,
            headers=request.headers,
            query_state=request.GET.get("state", ""),
            on_activated=connection_activated,
        )
    except InstallCallbackInvalid as exc:
        return problem_response(400, detail=f"Malformed install callback: {exc.message}")
    except InstallStateInvalid as exc:
        return problem_response(403, detail=exc.message)
    except PlatformCredentialsRefused as exc:
        return problem_response(400, title="Credentials refused", detail=exc.message)
    except UpstreamUnavailable as exc:
        return problem_response(504 if exc.timed_out else 502, detail=exc.message)
    return JsonResponse({"status": "connected"}, status=200)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


@require_GET
def install_return(request: HttpRequest, platform: str, connection_uuid: str) -> HttpResponse:
    """Where the merchant's browser lands after approving (``success=1``) or denying (``success=0``)."""
    connection = connection_get_by_uuid(connection_uuid=connection_uuid, platform=platform)
    if connection is None:
        return problem_response(404, detail="Unknown install.")
    if request.GET.get("success") == "0":
        title, message = "Not approved", "The store was not connected: the app was not approved."
    elif connection.state == ConnectionState.ACTIVE:
        title, message = "Connected", "Your store is connected to SparkLayer. You can close this page."
    else:
        title, message = "Not connected yet", "The store has not handed over its credentials. Please try again."
    html = PAGE.format(title=escape(title), message=escape(message))
    return HttpResponse(html, content_type="text/html; charset=utf-8")
