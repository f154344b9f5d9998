FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# pango for WeasyPrint (the briefing PDF); fonts are vendored under static/vendor/fonts/
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml requirements.lock ./
COPY coordination/__init__.py coordination/__init__.py
RUN pip install --no-cache-dir -c requirements.lock "Django>=5.2,<5.3" && true
COPY . .
RUN pip install --no-cache-dir -c requirements.lock . \
    && DEBUG=0 SECRET_KEY=build-only-collectstatic ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
