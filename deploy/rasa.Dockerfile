# syntax=docker/dockerfile:1
# The Rasa 3.6 server (port 5005) with the trained model. Build from the repository root:
#   docker build -f deploy/rasa.Dockerfile -t tthc-rasa .
# The build stage installs requirements/rasa.lock and trains the model exactly as the Makefile does
# (.cache/rasa-models/assistant.tar.gz); the image downloads nothing when it runs.

ARG PYTHON_IMAGE=python:3.10-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
# A C compiler for any pinned package without a wheel for this platform.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && pip install --upgrade pip "setuptools<70" wheel
COPY requirements/rasa.lock /tmp/rasa.lock
RUN pip install -r /tmp/rasa.lock

WORKDIR /app
COPY config.yml ./
COPY bot/ bot/
COPY nlu_data/ nlu_data/
ENV PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 HOME=/tmp
# The Makefile's .cache/rasa-models/assistant.tar.gz target.
RUN rasa train --config config.yml --domain bot/domain.yml --data nlu_data bot/data \
      --out .cache/rasa-models --fixed-model-name assistant \
 && rm -rf .rasa /tmp/* nlu_data \
 && chmod -R a+rX /app

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 rasa \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/rasa --shell /usr/sbin/nologin rasa
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 HOME=/home/rasa MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /opt/venv /opt/venv
# config.yml and bot/ (the Vietnamese tokenizer component, credentials.yml) and the trained model; root-owned.
COPY --from=build /app /app
COPY deploy/rasa/endpoints.yml deploy/rasa/entrypoint.py /app/deploy/rasa/
COPY settings.py /app/
WORKDIR /app
USER 10001:10001
EXPOSE 5005
# GET / answers "Hello from Rasa" without the token.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
# The entrypoint checks the required settings, derives the lock store's from TTHC_REDIS_URL, replaces ${TTHC_RASA_TOKEN} in
# the arguments, then runs `rasa ARGS`: the same flags as `make run` (scripts/), listening on every
# interface of the container, the HTTP API guarded by TTHC_RASA_TOKEN.
ENTRYPOINT ["python", "/app/deploy/rasa/entrypoint.py"]
CMD ["run", "--model", ".cache/rasa-models/assistant.tar.gz", "--endpoints", "deploy/rasa/endpoints.yml", \
     "--credentials", "bot/credentials.yml", "--interface", "0.0.0.0", "--port", "5005", "--enable-api", \
     "--auth-token", "${TTHC_RASA_TOKEN}"]
