# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build
COPY . .
RUN useradd --system kit && mkdir -p var/private && chown -R kit var
USER kit
EXPOSE 8000
CMD ["gunicorn", "kit.wsgi", "-b", "0.0.0.0:8000", "-k", "gthread", "--workers", "2", "--threads", "16"]
