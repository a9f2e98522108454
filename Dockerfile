# One image for the API and the worker: `crm serve` or `crm worker`. The API serves the web
# client too, built in the first stage (the same `npm ci` + `vite build` as `make web`).
FROM node:22-slim AS web
WORKDIR /web
RUN npm install -g npm@11 --no-audit --no-fund
COPY web-client/package.json web-client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web-client/ ./
RUN npm run build

FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY domain ./domain
COPY api ./api
COPY adapters ./adapters
COPY migrations ./migrations
COPY openapi ./openapi
COPY --from=web /web/dist ./web-client/dist
RUN pip install . && useradd --system --uid 10001 crm
USER crm
ENV CRM_ENV=production CRM_HOST=0.0.0.0 CRM_PORT=8000 CRM_EMBEDDED_WORKER=false
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["crm", "serve"]
