"""Routes of the sync app: the platforms' webhook deliveries."""

from django.urls import path

from sync.intake.intake import webhook_receive_view

app_name = "sync"

urlpatterns = [
    path("webhooks/<str:platform>/<uuid:connection_uuid>/", webhook_receive_view, name="webhook-receive"),
]
