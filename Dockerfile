# Kontaktlotsen as a container: docs/drift.md. Build: docker build -t kontaktlotsen .
# Two stages: the first installs the locked dependencies into a virtualenv (every package a
# prebuilt wheel, checked against its hash); the second copies only that virtualenv onto a
# slim Python, so the image holds no compiler, no pip cache and no source tree.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        --requirement requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
# The project itself, with the pinned setuptools from the lock: nothing is fetched here.
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools wheel

FROM python:${PYTHON_VERSION}-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8080
# An unprivileged user; its working folder is the only place it may write (a SQLite file, if
# DATABASE_URL is left at its default).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin kontaktlotsen \
    && install --directory --owner=kontaktlotsen --group=kontaktlotsen /srv/kontaktlotsen
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/kontaktlotsen
USER 10001
EXPOSE 8080
# /healthz answers 200 when the database answers, the schema is at head and the knowledge is
# valid (webhook mode; for polling set METRICS_PORT=8080 and METRICS_LISTEN=0.0.0.0).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["kontaktlotsen"]
CMD ["run", "--webhook"]
