"""Model permissions of the operator console's custom pages and of the sync actions on connections.

Django's admin checks model permissions on its own pages; the custom pages (dashboard, record
timeline, job progress) are plain views, so each declares the models whose rows it shows and a
staff user needs the *view* permission of every one of them (else 403), on top of the connection
assignment the views check themselves (``connection_get_visible_or_404``). Queueing a full sync
from the connections list creates a sync job: it needs the permission to change sync jobs, the
same one that allows rerunning them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from connections.models import Connection
from sync.models import PushLog, SyncIssue, SyncJob, WebhookEvent

#: what each custom page shows
DASHBOARD_MODELS: tuple[type[Model], ...] = (Connection, SyncJob, SyncIssue, WebhookEvent)
TIMELINE_MODELS: tuple[type[Model], ...] = (Connection, WebhookEvent, PushLog, SyncIssue)
PROGRESS_MODELS: tuple[type[Model], ...] = (SyncJob,)

#: the permission "Start full sync" needs (the same that allows rerunning a job)
SYNC_START_PERMISSION = f"{SyncJob._meta.app_label}.{get_permission_codename('change', SyncJob._meta)}"


def view_permission(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{get_permission_codename('view', model._meta)}"


def user_may_view(user: Any, models: tuple[type[Model], ...]) -> bool:
    return bool(user.has_perms([view_permission(model) for model in models]))


def requires_view_permissions(
    *models: type[Model],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a custom admin view: 403 unless the user may view every one of ``models``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_may_view(request.user, models):
                raise PermissionDenied("You may not view the records this page shows.")
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def user_may_start_syncs(request: HttpRequest) -> bool:
    """``has_start_sync_permission`` of the connection admin (see ``sync/admin/jobs.py``)."""
    return bool(request.user.has_perm(SYNC_START_PERMISSION))
