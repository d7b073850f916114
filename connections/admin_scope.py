"""One rule for the whole operator console: a staff user sees only the connections assigned to them.

Every ModelAdmin of a per-connection model mixes in ``ConnectionScopedAdminMixin`` (it lives here,
in the lowest layer that knows connections, so ``connections`` and ``sync`` admins share it), and
every custom admin view calls ``connection_get_visible_or_404``. Both go through
``connections_visible_to``, so lists, detail pages by URL, actions (Django filters the selected ids
through ``get_queryset``), search, autocomplete, list filters and foreign-key choices agree.
Superusers see everything. Django's model permissions still apply on top: the assignment narrows
what a permission allows, it never widens it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from connections.models import Connection
from connections.selectors import connections_visible_to
from ignite_bridge.core.ids import positive_id


class VisibleConnectionListFilter(admin.RelatedFieldListFilter):
    """The "by connection" filter, listing only the connections the user may see (names are data too)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        return [(str(connection.pk), str(connection)) for connection in connections_visible_to(request.user)]


class ConnectionScopedAdminMixin:
    """Scope a ModelAdmin to the connections visible to the requesting user.

    ``connection_lookup`` is the ORM path from the model to its ``Connection`` ("connection",
    "event__connection"); the empty string means the model *is* ``Connection``.
    """

    connection_lookup: str = "connection"

    def scope_to_visible_connections(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = connections_visible_to(request.user).values("pk")
        if not self.connection_lookup:
            return queryset.filter(pk__in=visible)
        return queryset.filter(**{f"{self.connection_lookup}__in": visible})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_to_visible_connections(request, super().get_queryset(request))  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # The scoped queryset hides other connections' rows; answer 404 rather than Django's
        # "perhaps it was deleted" redirect, which would confirm nothing and help no one.
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404("No such object among the connections assigned to you.")
        return obj

    def object_is_visible(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return True
        return self.scope_to_visible_connections(request, type(obj)._default_manager.filter(pk=obj.pk)).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed: bool = super().has_view_permission(request, obj)  # type: ignore[misc]
        return allowed and self.object_is_visible(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed: bool = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and self.object_is_visible(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed: bool = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and self.object_is_visible(request, obj)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """May run the operator actions (rerun, reprocess, resolve...) on these rows.

        The logs themselves are read-only in the admin, so the model's "change" permission is
        what grants acting on them; viewing alone does not."""
        opts = self.opts  # type: ignore[attr-defined]
        return bool(request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Connection:
            kwargs["queryset"] = connections_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A plain "connection" filter would list every connection's name: swap in the scoped one.
        filters = list(super().get_list_filter(request))  # type: ignore[misc]
        return [("connection", VisibleConnectionListFilter) if entry == "connection" else entry for entry in filters]


def connection_get_visible_or_404(*, user: Any, connection_id: Any) -> Connection:
    """The guard of custom admin views: the connection, if this user may see it; 404 otherwise.

    404 (not 403) so that a restricted operator cannot learn which connection ids exist."""
    pk = positive_id(connection_id)
    connection = connections_visible_to(user).filter(pk=pk).first() if pk is not None else None
    if connection is None:
        raise Http404("No such connection among the connections assigned to you.")
    return connection
