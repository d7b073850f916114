"""Connections in the operator console: state at a glance, credentials write-only, actions via services.

Credentials are never rendered: the change form shows only whether each is set, and offers
password-style inputs that *replace* a value when filled in (left empty: unchanged). Staff users
who are not superusers see only the connections they are operators of
(``connections_visible_to``); the same selector scopes every other per-connection admin.

Other apps add list columns without subclassing (this app cannot import them): append a callable
(taking a connection, with ``short_description``) to ``LEADING_LIST_COLUMNS`` (before the name) or
``EXTRA_LIST_COLUMNS`` (after the state); the sync admin adds the health light first and the last
syncs, issues, events and dashboard link after. ``LIST_PAGE_HOOKS`` run once per list page with the
page's connections, so such columns can read what they need for the whole page at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.errors import WebhookRegistrationFailed
from connections.models import Connection
from connections.selectors import connections_visible_to
from connections.services import (
    STORE_MOVED_REASON,
    connection_credentials_replace,
    connection_credentials_verify,
    connection_store_url_change,
    connection_storefront_secret_reveal,
    connection_storefront_secret_rotate,
    connection_webhooks_register,
)
from ignite_bridge.core.outbound import OutboundUrlRefused, ensure_public_url

#: list columns contributed by other apps (callables taking a Connection): before the name, and after the state
LEADING_LIST_COLUMNS: list[Callable[[Connection], Any]] = []
EXTRA_LIST_COLUMNS: list[Callable[[Connection], Any]] = []
#: called with (request, the page's connections) before the list renders
LIST_PAGE_HOOKS: list[Callable[[HttpRequest, list[Connection]], None]] = []


class ConnectionChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        page = list(self.result_list)
        for hook in LIST_PAGE_HOOKS:
            hook(request, page)
        self.result_list = page  # the hooks may annotate the instances; keep these ones


def _secret_input() -> forms.PasswordInput:
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class ConnectionAdminForm(forms.ModelForm):
    """The model's own fields minus every secret, plus write-only "replace" inputs."""

    store_url = forms.CharField(
        max_length=500,
        required=False,
        help_text=(
            "https://; checked before it is saved. Only superusers may change it. Another origin (scheme, host "
            "or port) clears the platform credentials unless new ones are entered below."
        ),
    )
    replace_spark_client_id = forms.CharField(
        required=False, strip=True, widget=_secret_input(), label="Replace SparkLayer client id"
    )
    replace_spark_client_secret = forms.CharField(
        required=False, strip=True, widget=_secret_input(), label="Replace SparkLayer client secret"
    )
    replace_platform_credentials = forms.CharField(
        required=False,
        strip=True,
        widget=_secret_input(),
        label="Replace platform credentials",
        help_text='A JSON object, e.g. {"consumer_key": "ck_...", "consumer_secret": "cs_..."} for WooCommerce.',
    )
    replace_storefront_secret = forms.CharField(
        required=False, strip=True, widget=_secret_input(), label="Replace storefront JWT secret"
    )

    class Meta:
        model = Connection
        # Never a secret field: a ModelForm field would render (and round-trip) its value.
        fields = (
            "store_id",
            "store_url",
            "batch_size",
            "push_concurrency",
            "platform_max_concurrency",
            "request_budget_per_minute",
            "customer_sync_scope",
            "storefront_jwt_audience",
            "storefront_jwt_issuer",
            "operators",
        )

    def clean_store_url(self) -> str:
        try:
            return ensure_public_url(self.cleaned_data.get("store_url") or "")
        except OutboundUrlRefused as exc:
            raise forms.ValidationError(f"This store URL is refused: {exc}") from exc

    def clean_replace_platform_credentials(self) -> dict[str, str] | None:
        raw = self.cleaned_data.get("replace_platform_credentials") or ""
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError("Enter a JSON object.") from None  # never echo the input
        if not isinstance(value, dict) or not value or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError("Enter a non-empty JSON object of strings.")
        return {str(k): v for k, v in value.items()}


def _mask(value: Any) -> str:
    return "set" if value else "empty"


@admin.register(Connection)
class ConnectionAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    connection_lookup = ""  # the model is Connection itself (see connections/admin_scope.py)
    form = ConnectionAdminForm
    # Status first (other apps add the light, last syncs, issues, events, dashboard): it must fit 1366 px.
    list_display = ("name_column", "state_label")
    list_display_links = ("name_column",)
    list_filter = ("state", "site_env", "platform")
    search_fields = ("site_id", "store_id", "store_url")
    readonly_fields = (
        "uuid",
        "site_env",
        "site_id",
        "platform",
        "state",
        "state_reason",
        "activated_at",
        "removed_at",
        "credentials_status",
        "webhook_count",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("uuid", "site_env", "site_id", "platform", "store_id", "store_url")}),
        ("State", {"fields": ("state", "state_reason", "activated_at", "removed_at", "webhook_count")}),
        (
            "Credentials (write-only)",
            {
                "fields": (
                    "credentials_status",
                    "replace_spark_client_id",
                    "replace_spark_client_secret",
                    "replace_platform_credentials",
                    "replace_storefront_secret",
                )
            },
        ),
        ("Storefront login tokens", {"fields": ("storefront_jwt_audience", "storefront_jwt_issuer")}),
        (
            "Tuning",
            {
                "fields": (
                    "batch_size",
                    "push_concurrency",
                    "platform_max_concurrency",
                    "request_budget_per_minute",
                    "customer_sync_scope",
                )
            },
        ),
        ("Access", {"fields": ("operators",)}),
        ("Timestamps", {"fields": ("created_at", "updated_at")}),
    )
    filter_horizontal = ("operators",)
    actions = ("reverify_credentials", "reregister_webhooks", "reveal_storefront_secret", "rotate_storefront_secret")

    # -- display ---------------------------------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> Any:
        return (*LEADING_LIST_COLUMNS, *super().get_list_display(request), *EXTRA_LIST_COLUMNS)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ConnectionChangeList

    @admin.display(description="Connection", ordering="site_id")
    def name_column(self, obj: Connection) -> str:
        return format_html('{}<br><span class="ib-quiet ib-store-url">{}</span>', obj, obj.store_url or obj.store_id)

    @admin.display(description="State", ordering="state")
    def state_label(self, obj: Connection) -> str:
        return format_html('<span class="ib-state-{}" title="{}">{}</span>', obj.state, obj.get_state_display(),
                           obj.state)  # fmt: skip

    @admin.display(description="Credentials")
    def credentials_status(self, obj: Connection) -> str:
        return (
            f"SparkLayer client id: {_mask(obj.spark_client_id)}; secret: {_mask(obj.spark_client_secret)}; "
            f"platform credentials: {_mask(obj.platform_credentials)}; webhook secret: {_mask(obj.webhook_secret)}; "
            f"storefront secret: {_mask(obj.storefront_secret)}"
            + (
                "; the generated storefront secret has not been revealed yet"
                if obj.storefront_secret_revealable
                else ""
            )
        )

    @admin.display(description="Webhooks registered")
    def webhook_count(self, obj: Connection) -> int:
        return len(obj.webhook_ids or [])

    # -- scoping: staff see only their connections -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Connection]:
        return connections_visible_to(request.user)

    def _visible(self, request: HttpRequest, obj: Connection | None) -> bool:
        return obj is None or connections_visible_to(request.user).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._visible(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._visible(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # SparkLayer creates connections through the connect endpoint

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disconnecting erases credentials and cancels syncs: the DELETE endpoint does it

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(self.readonly_fields)
        if not request.user.is_superuser:
            # Only superusers hand connections to operators, and only they may point a connection at
            # another store: the stored platform credentials would go wherever store_url points.
            readonly = (*readonly, "operators", "store_url")
        return readonly

    # -- saving: credentials only through the replace service ----------------------------------------

    def save_model(self, request: HttpRequest, obj: Connection, form: forms.ModelForm, change: bool) -> None:
        new_store_url = obj.store_url
        previous = Connection.objects.filter(pk=obj.pk).values_list("store_url", flat=True).first() if change else None
        platform_credentials = form.cleaned_data.get("replace_platform_credentials")
        url_changed = previous is not None and "store_url" in form.changed_data and new_store_url != previous
        if url_changed:
            obj.store_url = previous or ""  # moved by the service below, which decides about the credentials
        super().save_model(request, obj, form, change)
        if url_changed and request.user.is_superuser:
            moved = connection_store_url_change(
                connection=obj, store_url=new_store_url, platform_credentials=platform_credentials
            )
            if moved and platform_credentials:
                platform_credentials = None  # already stored with the move
                self.message_user(
                    request,
                    "The store moved to another origin: the new platform credentials were stored; "
                    "re-register the platform webhooks for the new store.",
                    messages.WARNING,
                )
            elif moved:
                self.message_user(request, STORE_MOVED_REASON, messages.WARNING)
        replaced = connection_credentials_replace(
            connection=obj,
            spark_client_id=form.cleaned_data.get("replace_spark_client_id") or "",
            spark_client_secret=form.cleaned_data.get("replace_spark_client_secret") or "",
            platform_credentials=platform_credentials,
            storefront_secret=form.cleaned_data.get("replace_storefront_secret") or "",
        )
        if replaced:
            self.message_user(request, f"Replaced: {', '.join(replaced)}.", messages.SUCCESS)

    # -- actions -----------------------------------------------------------------------------------

    @admin.action(description="Re-verify credentials (SparkLayer token + platform check)", permissions=["operate"])
    def reverify_credentials(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in connections_visible_to(request.user).filter(pk__in=queryset.values("pk")):
            check = connection_credentials_verify(connection=connection)
            if check.ok:
                self.message_user(request, f"{connection}: credentials accepted.", messages.SUCCESS)
                continue
            problems = "; ".join(p for p in (check.sparklayer_error, check.platform_error) if p)
            self.message_user(request, f"{connection}: {problems}", messages.ERROR)

    @admin.action(description="Re-register platform webhooks", permissions=["operate"])
    def reregister_webhooks(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in connections_visible_to(request.user).filter(pk__in=queryset.values("pk")):
            if not connection.platform_credentials:
                self.message_user(request, f"{connection}: no platform credentials; not registered.", messages.ERROR)
                continue
            try:
                ids = connection_webhooks_register(connection=connection)
            except WebhookRegistrationFailed as exc:
                self.message_user(request, f"{connection}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, f"{connection}: {len(ids)} webhooks registered.", messages.SUCCESS)

    # -- the storefront secret: shown once, right after generation or rotation -----------------------

    def _single(self, request: HttpRequest, queryset: QuerySet[Connection]) -> Connection | None:
        visible = list(connections_visible_to(request.user).filter(pk__in=queryset.values("pk"))[:2])
        if len(visible) != 1:
            self.message_user(request, "Select exactly one connection.", messages.ERROR)
            return None
        return visible[0]

    def _show_secret_once(self, request: HttpRequest, connection: Connection, secret: str, why: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"Storefront secret of {connection}",
            "connection": connection,
            "secret": secret,
            "why": why,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/connections/storefront_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Reveal the generated storefront secret (once)", permissions=["operate"])
    def reveal_storefront_secret(self, request: HttpRequest, queryset: QuerySet[Connection]) -> HttpResponse | None:
        connection = self._single(request, queryset)
        if connection is None:
            return None
        secret = connection_storefront_secret_reveal(connection=connection)
        if secret is None:
            self.message_user(
                request,
                f"{connection}: the storefront secret was revealed before or was set by SparkLayer or an operator; "
                "rotate it to get a new one.",
                messages.ERROR,
            )
            return None
        return self._show_secret_once(request, connection, secret, "generated when the store was connected")

    @admin.action(
        description="Rotate the storefront secret (shows the new one once; the old one stops working)",
        permissions=["operate"],
    )
    def rotate_storefront_secret(self, request: HttpRequest, queryset: QuerySet[Connection]) -> HttpResponse | None:
        connection = self._single(request, queryset)
        if connection is None:
            return None
        secret = connection_storefront_secret_rotate(connection=connection)
        return self._show_secret_once(
            request, connection, secret, "rotated just now: tokens signed with the old one are refused"
        )
