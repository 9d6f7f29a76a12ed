# shared-catalog: the API behind several uvicorn workers, as a non-root user.
# Build:  docker build -t shared-catalog .
# Run:    docker run -p 8000:8000 -e CATALOG_DATABASE_URL=postgresql+psycopg://… shared-catalog
# Z39.50: docker run -p 2100:2100 shared-catalog catalog z3950 serve --port 2100 \
#             --sru-url http://<the API's address>:8000/sru
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    CATALOG_DATABASE_URL=sqlite:////var/lib/catalog/catalog.db \
    CATALOG_LOG_FORMAT=json \
    CATALOG_WORKERS=4

# Simple2ZOOM is the Z39.50 gateway `catalog z3950 serve` runs in front of /sru.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libnet-z3950-simple2zoom-perl \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==0.13.8" \
    && useradd --system --create-home --home-dir /var/lib/catalog --shell /usr/sbin/nologin catalog

WORKDIR /app
# Dependencies first, from the lock file alone, so that code changes reuse this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY sample_records ./sample_records
RUN uv sync --frozen --no-dev

USER catalog
EXPOSE 8000 2100
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
# Migrate once, then start the workers (they do not migrate: several would race).
CMD ["sh", "-c", "catalog db upgrade && exec catalog serve --host 0.0.0.0 --port 8000 --workers ${CATALOG_WORKERS} --no-migrate"]
