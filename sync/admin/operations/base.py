"""The one guard every console button goes through: POST only, the object among the user's connections (404
otherwise, like every console page), and the operate permission of the object's admin (403 otherwise).

Permission checks live here and nowhere else, so tightening them (who may rerun, reprocess, resolve) is a
change to ``may_operate`` alone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from connections.admin_scope import ConnectionScopedAdminMixin


class NotAllowed(Exception):
    """A button pressed without POST: answered 405."""


def model_admin_of(model: type[Model]) -> ConnectionScopedAdminMixin:
    model_admin = admin.site._registry.get(model)
    if not isinstance(model_admin, ConnectionScopedAdminMixin):
        raise Http404("This page is not part of the console.")
    return model_admin


def may_operate(request: HttpRequest, model: type[Model]) -> bool:
    """May this user press the buttons of ``model``'s pages (the admin's operate permission)?"""
    try:
        return bool(model_admin_of(model).has_operate_permission(request))
    except Http404:
        return False


def guarded(request: HttpRequest, model: type[Model], object_id: Any, *, operate_as: type[Model] | None = None) -> Any:
    """The object a button acts on, after the checks in the module docstring. ``operate_as``: the model whose
    operate permission the button needs when it acts on another (a connection's "sync now" makes jobs)."""
    if request.method != "POST":
        raise NotAllowed
    model_admin = model_admin_of(model)
    try:
        obj = model_admin.get_queryset(request).get(pk=int(object_id))  # type: ignore[attr-defined]
    except (model.DoesNotExist, TypeError, ValueError):  # type: ignore[attr-defined]
        raise Http404("No such object among the connections assigned to you.") from None
    if not may_operate(request, operate_as or model):
        raise PermissionDenied("You may view this, but not act on it.")
    return obj


def back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the button was on (``next``), if it is one of ours; else ``default``."""
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = default
    return HttpResponseRedirect(target or default)


def report(request: HttpRequest, text: str, *, did_something: bool) -> None:
    """Say what the button did; a button that did nothing must not look like a success (no green)."""
    messages.add_message(request, messages.SUCCESS if did_something else messages.WARNING, text)


def button_view(view: Any) -> Any:
    """Wrap a button view: a GET is answered 405 with the allowed method."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except NotAllowed:
            return HttpResponseNotAllowed(["POST"])

    wrapped.__name__ = getattr(view, "__name__", "button")
    wrapped.__doc__ = view.__doc__
    return wrapped
