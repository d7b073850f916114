import os

from django.core.wsgi import get_wsgi_application

from ignite_bridge.core.tracing import tracing_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ignite_bridge.settings.local")
# before the app is built: the Django instrumentation adds its middleware (only when tracing is configured)
tracing_init(service="web")
application = get_wsgi_application()
