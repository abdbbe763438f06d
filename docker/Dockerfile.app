# The application image: Airflow 3.3.2 (api-server, scheduler, dag-processor, triggerer;
# LocalExecutor tasks spark-submit in client mode, hence the JDK 17) and the REST API
# (`python -m api`). One virtualenv from requirements/main.lock, exactly as
# scripts/install.sh builds .venv, plus the project itself (editable, so that
# refdata.settings.PROJECT_ROOT is /opt/refdata and dags/, plugins/, spark_jobs/ sit beside it).
#
# Build from the repository root (docker/compose.yaml does this):
#   docker build -f docker/Dockerfile.app -t refdata/app:0.1.0 .
# The build context is filtered by docker/Dockerfile.app.dockerignore (BuildKit).

FROM python:3.11.15-slim-bookworm

ARG REFDATA_UID=50000
ARG PIP_VERSION=25.3

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    JAVA_HOME=/usr/lib/jvm/java-17 \
    AIRFLOW_HOME=/opt/airflow \
    REFDATA_JAVA17_HOME=/usr/lib/jvm/java-17 \
    REFDATA_CACHE_DIR=/opt/refdata/cache \
    REFDATA_VAR_DIR=/opt/refdata/var \
    REFDATA_CAPTURES_DIR=/opt/refdata/captures \
    GX_ANALYTICS_ENABLED=false

# JDK 17 from Debian bookworm (Spark 3.5 fails on newer JDKs). Slim images lack the man
# directories that the openjdk post-install scripts write their alternatives into.
RUN set -eux; \
    mkdir -p /usr/share/man/man1; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jdk-headless procps; \
    rm -rf /var/lib/apt/lists/*; \
    ln -s "/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)" /usr/lib/jvm/java-17; \
    java -version 2>&1 | grep -q 'version "17'; \
    groupadd --system --gid "${REFDATA_UID}" refdata; \
    useradd --system --uid "${REFDATA_UID}" --gid refdata --create-home --home-dir /home/refdata \
        --shell /usr/sbin/nologin refdata

# Dependencies first (the slow layer), from the lock only.
COPY requirements/main.lock /tmp/requirements/main.lock
RUN set -eux; \
    python -m venv "${VIRTUAL_ENV}"; \
    pip install "pip==${PIP_VERSION}"; \
    pip install --requirement /tmp/requirements/main.lock; \
    rm -rf /tmp/requirements

# The project: code read-only (owned by root), data directories owned by the runtime user.
WORKDIR /opt/refdata
COPY pyproject.toml ./
COPY refdata ./refdata
COPY api ./api
COPY spark_jobs ./spark_jobs
COPY dags ./dags
COPY plugins ./plugins
# Install the project (editable), then fetch the Iceberg Spark runtime, iceberg-aws-bundle and
# the PostgreSQL JDBC driver with the project's own downloader (SHA-1 verified against Maven
# Central) into REFDATA_CACHE_DIR: spark-submit ships them to the executors (spark.jars), so a
# task never downloads anything at run time.
RUN set -eux; \
    pip install --no-deps --editable .; \
    python -c "import refdata.settings as s; assert str(s.PROJECT_ROOT) == '/opt/refdata', s.PROJECT_ROOT"; \
    python -c "from refdata.settings import Settings; from refdata.spark import spark_jars; print(*spark_jars(Settings(_env_file=None)), sep='\n')"; \
    mkdir -p /opt/refdata/var /opt/refdata/captures /opt/airflow/logs; \
    chown -R refdata:refdata /opt/refdata/var /opt/airflow; \
    chmod -R a+rX /opt/refdata/cache

USER refdata

EXPOSE 8001 8080
CMD ["python", "-m", "api"]
