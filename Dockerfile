FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=ignite_bridge.settings.local python manage.py collectstatic --noinput
RUN useradd --system --uid 10001 bridge && chown -R bridge /app/var
USER bridge
