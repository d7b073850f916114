"""The console's frame: its name, the admin index with a health summary above the apps, and "View site"
leading to the dashboards (the bridge has no public site of its own; Django's default "/" answers 404)."""

from django.contrib import admin
from django.urls import reverse_lazy

admin.site.site_header = "Ignite Bridge"
admin.site.site_title = "Ignite Bridge console"
admin.site.index_title = "Operator console"
admin.site.index_template = "admin/sync/index.html"
admin.site.site_url = reverse_lazy("sync_admin:dashboards")  # type: ignore[assignment]  # a lazy str
# The console's lists lead with status columns; the app sidebar would take 300 px of a 1366 px screen
# from them (the index and the breadcrumbs lead to every list).
admin.site.enable_nav_sidebar = False
