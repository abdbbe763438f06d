"""docker/ agrees with the code: compose services, pinned images, settings, versions, Trino.

No Docker engine, no services, no network: docker/compose.yaml is parsed with PyYAML, the
Dockerfiles and Trino files are read as text, and everything is compared with
refdata/settings.py, requirements/main.lock, refdata.stack.trino and refdata.stack.airflow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, get_args
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import BaseModel

from refdata.settings import Settings, Versions

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"

EXPECTED_SERVICES = {
    "postgres", "minio", "minio-init", "spark-master", "spark-worker",
    "trino-coordinator", "trino-worker", "airflow-init", "airflow-apiserver",
    "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "api",
}
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer")
APP_SERVICES = (*AIRFLOW_SERVICES, "api")
TRINO_SERVICES = ("trino-coordinator", "trino-worker")
ONE_SHOT = {"minio-init", "airflow-init"}
# Variables of refdata.stack.airflow.airflow_env() that compose leaves out, and why.
AIRFLOW_VARS_NOT_IN_COMPOSE = {
    "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": None,  # no such option in Airflow 3
    "AIRFLOW__WEBSERVER__EXPOSE_CONFIG": "AIRFLOW__API__EXPOSE_CONFIG",  # renamed in 3.0.1
}
# Values of required variables (${VAR:?...}) when a service's environment is turned into Settings.
REQUIRED_SAMPLES = {"REFDATA_API_KEYS": '{"k-1": {"user": "alice", "roles": ["propose"]}}'}
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

_INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_TRINO_ENV = re.compile(r"\$\{ENV:([A-Za-z0-9_]+)\}")


# ---- helpers ---------------------------------------------------------------------------------


def settings_env_names(model: type[BaseModel] = Settings, prefix: str | None = None) -> set[str]:
    """Every environment variable pydantic-settings maps onto a field: REFDATA_<FIELD>, and
    REFDATA_<GROUP>__<FIELD> for nested models (a group may also be given whole, as JSON)."""
    if prefix is None:
        prefix = Settings.model_config["env_prefix"].upper()
    delimiter = Settings.model_config["env_nested_delimiter"]
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = f"{prefix}{field_name.upper()}"
        names.add(name)
        for candidate in (field.annotation, *get_args(field.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names |= settings_env_names(candidate, f"{name}{delimiter}")
    return names


def resolve(value: Any, required: Callable[[str], str] = lambda name: f"<{name}>") -> str:
    """Compose interpolation with an empty environment: ${X:-d} -> d, ${X:?e} / ${X} -> required(X)."""

    def one(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        if operator in (":-", "-"):
            return default
        return required(name)

    return _INTERPOLATION.sub(one, str(value)).replace("$$", "$")


def interpolated_names(text: str) -> set[str]:
    return {match.group(1) for match in _INTERPOLATION.finditer(text)}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def image_tag(reference: str) -> str | None:
    """The tag (or digest) of an image reference; None when there is neither."""
    if "@sha256:" in reference:
        return reference.split("@", 1)[1]
    last = reference.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def image_problems(services: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for name, service in services.items():
        image = service.get("image")
        if not image:
            problems.append(f"{name}: no image (a built service needs image: name:tag too)")
            continue
        if "${" in str(image):
            problems.append(f"{name}: image {image!r} depends on the environment")
        tag = image_tag(str(image))
        if not tag or tag == "latest" or not re.search(r"\d", tag):
            problems.append(f"{name}: image {image!r} is not pinned to a version")
    return problems


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {target: "service_started" for target in deps}
    return {target: (spec or {}).get("condition", "service_started") for target, spec in deps.items()}


def depends_on_problems(services: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for name, service in services.items():
        for target, condition in depends_on(service).items():
            if target not in services:
                problems.append(f"{name} depends on {target}, which is not a service")
                continue
            if target == name:
                problems.append(f"{name} depends on itself")
            if condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name} -> {target}: unknown condition {condition!r}")
            if condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name} waits for {target} to be healthy, which has no healthcheck")
            if condition == "service_completed_successfully" and str(services[target].get("restart")) != "no":
                problems.append(f"{name} waits for {target} to complete, which restarts")
    # No cycles: repeatedly remove services whose dependencies are all removed.
    remaining = {n: set(depends_on(s)) & set(services) for n, s in services.items()}
    while remaining:
        ready = [n for n, deps in remaining.items() if not deps & set(remaining)]
        if not ready:
            problems.append(f"depends_on cycle among {sorted(remaining)}")
            break
        for n in ready:
            del remaining[n]
    return problems


def properties(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def dockerfile_args(text: str) -> dict[str, str]:
    return dict(re.findall(r"^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$", text, re.MULTILINE))


def dockerfile_from(text: str) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)


def lock_pin(package: str) -> str:
    text = (ROOT / "requirements" / "main.lock").read_text()
    match = re.search(rf"^{re.escape(package)}==(\S+)\s*$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{package} is not pinned in requirements/main.lock"
    return match.group(1)


def settings_from_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """Settings as the container would build them from its REFDATA_* environment."""
    for key in list(os.environ):
        if key.startswith("REFDATA_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("REFDATA_"):
            monkeypatch.setenv(key, resolve(value, lambda n: REQUIRED_SAMPLES.get(n, f"sample-{n.lower()}")))
    return Settings(_env_file=None)


def airflow_options() -> dict[str, set[str]]:
    """Section -> options of the installed Airflow's config.yml (read, not imported)."""
    spec = importlib.util.find_spec("airflow")
    assert spec and spec.submodule_search_locations, "apache-airflow is not installed in this venv"
    config = Path(list(spec.submodule_search_locations)[0]) / "config_templates" / "config.yml"
    sections = yaml.safe_load(config.read_text())
    return {name: set((section.get("options") or {})) for name, section in sections.items()}


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (DOCKER / "compose.yaml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def spark_dockerfile() -> str:
    return (DOCKER / "Dockerfile.spark").read_text()


# ---- the checks can fail --------------------------------------------------------------------


def test_the_checks_reject_bad_deployments() -> None:
    valid = settings_env_names()
    assert {"REFDATA_HOST", "REFDATA_PORTS__API", "REFDATA_FETCH__MAX_PAGES", "REFDATA_VERSIONS__ICEBERG",
            "REFDATA_API_KEYS", "REFDATA_CATALOG_URI", "REFDATA_SPARK_MASTER", "REFDATA_S3_PATH_STYLE_ACCESS"} <= valid
    for bogus in ("REFDATA_S3_PATHSTYLE", "REFDATA_PORTS__NOPE", "REFDATA_PORTS_API",
                  "REFDATA_SPARK_DRIVER_HOST", "REFDATA_TRINO_PASSWORD"):
        assert bogus not in valid

    bad_images = {"a": {"image": "postgres"}, "b": {"image": "minio/minio:latest"}, "c": {"build": "."},
                  "d": {"image": "x:${TAG}"}, "e": {"image": "registry:5000/team/app"}}
    assert {problem.split(":")[0] for problem in image_problems(bad_images)} == set(bad_images)
    assert image_problems({"ok": {"image": "registry:5000/team/app:1.2.3"}}) == []

    bad_deps = {
        "a": {"depends_on": {"missing": {"condition": "service_started"}}},
        "b": {"depends_on": {"c": {"condition": "service_healthy"}}},  # c has no healthcheck
        "c": {"depends_on": ["b"], "restart": "always"},  # cycle b <-> c
        "d": {"depends_on": {"c": {"condition": "service_completed_successfully"}}},  # c restarts
    }
    problems = depends_on_problems(bad_deps)
    assert any("missing" in p for p in problems)
    assert any("no healthcheck" in p for p in problems)
    assert any("cycle" in p for p in problems)
    assert any("restarts" in p for p in problems)

    assert resolve("${A:-x}/${B:?need B}/$${C}") == "x/<B>/${C}"
    assert interpolated_names("${A:-1} $${B} ${C}") == {"A", "C"}


# ---- compose ---------------------------------------------------------------------------------


def test_expected_services_exist(services: dict[str, Any]) -> None:
    missing = EXPECTED_SERVICES - set(services)
    assert not missing, f"docker/compose.yaml lacks services {sorted(missing)}"


def test_every_image_is_pinned(services: dict[str, Any]) -> None:
    assert image_problems(services) == []


def test_dockerfile_base_images_are_pinned(spark_dockerfile: str) -> None:
    app = (DOCKER / "Dockerfile.app").read_text()
    for name, text in (("Dockerfile.app", app), ("Dockerfile.spark", spark_dockerfile)):
        bases = dockerfile_from(text)
        assert bases, f"{name} has no FROM"
        assert image_problems({f"{name} FROM {b}": {"image": b} for b in bases}) == []
    (python_base,) = dockerfile_from(app)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python_base), python_base  # bookworm has JDK 17


def test_every_refdata_variable_is_a_settings_field(services: dict[str, Any], compose_text: str) -> None:
    valid = settings_env_names()
    used = {key for service in services.values() for key in environment(service) if key.startswith("REFDATA_")}
    used |= {name for name in interpolated_names(compose_text) if name.startswith("REFDATA_")}
    env_example = (DOCKER / ".env.example").read_text()
    used |= set(re.findall(r"^#?\s*(REFDATA_[A-Z0-9_]+)=", env_example, re.MULTILINE))
    assert len(used) > 20  # the compose file really is configured through settings
    assert not used - valid, f"not fields of refdata.settings.Settings: {sorted(used - valid)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_builds_the_intended_settings(
    name: str, services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from_env(monkeypatch, environment(services[name]))
    assert settings.catalog_jdbc_url == "jdbc:postgresql://postgres:5432/iceberg_catalog"
    assert settings.catalog_psycopg_dsn.endswith("@postgres:5432/iceberg_catalog")
    assert settings.s3_endpoint_url == "http://minio:9000"
    assert settings.s3_path_style_access is True  # MinIO
    assert settings.s3_static_credentials is not None  # the identity minio-init creates
    assert settings.warehouse_uri == "s3://warehouse/"
    assert settings.trino_http_url == "http://trino-coordinator:8080"
    assert settings.catalog_name == "refdata"
    assert str(settings.var_dir) == "/opt/refdata/var"
    assert str(settings.cache_dir) == "/opt/refdata/cache"
    # No client may fall back to the local replay server, which compose does not run.
    exchanges = ("binance_spot", "binance_usdm", "binance_coinm", "kraken", "bybit", "coinbase", "okx", "deribit")
    for exchange in exchanges:
        assert settings.exchange_base_url(exchange).startswith("https://"), exchange


def test_scheduler_runs_the_spark_driver_where_executors_can_reach_it(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = services["airflow-scheduler"]
    settings = settings_from_env(monkeypatch, environment(scheduler))
    # spark.driver.host / bindAddress are settings.host (refdata/catalog.py): a name that
    # resolves to this container on the compose network.
    assert settings.host == scheduler["hostname"] == "airflow-scheduler"
    assert settings.spark_master == "spark://spark-master:7077"
    master = services["spark-master"]["command"]
    assert master[master.index("--host") + 1] == urlparse(settings.spark_master).hostname
    assert master[master.index("--port") + 1] == str(urlparse(settings.spark_master).port)
    worker = services["spark-worker"]["command"]
    assert worker[-1] == settings.spark_master
    assert worker[worker.index("--host") + 1] == services["spark-worker"]["hostname"]


def test_api_listens_where_compose_publishes_it(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    api = services["api"]
    settings = settings_from_env(monkeypatch, environment(api))
    assert settings.host == "0.0.0.0"  # uvicorn binds settings.host (api/__main__.py)
    published = [resolve(p).rsplit(":", 1)[1] for p in api["ports"]]
    assert str(settings.ports.api) in published
    assert f"localhost:{settings.ports.api}/" in " ".join(api["healthcheck"]["test"])
    assert set(settings.api_keys) == {"k-1"}  # required in compose: the demo keys never ship


def test_depends_on_targets_exist_with_valid_conditions(services: dict[str, Any]) -> None:
    assert depends_on_problems(services) == []


def test_startup_order(services: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES[1:]:
        assert depends_on(services[name]).get("airflow-init") == "service_completed_successfully", name
    init = depends_on(services["airflow-init"])
    assert init["postgres"] == "service_healthy"
    assert init["minio-init"] == "service_completed_successfully"
    assert init["trino-coordinator"] == "service_healthy"  # the analyst views are created through Trino
    command = " ".join(services["airflow-init"]["command"])
    assert command.index("airflow db migrate") < command.index("python -m refdata migrate") < command.index(
        "ensure_views")
    assert depends_on(services["minio-init"]) == {"minio": "service_healthy"}
    assert depends_on(services["airflow-scheduler"])["spark-master"] == "service_healthy"


def test_long_running_services_have_healthchecks_and_restart(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            assert str(service.get("restart")) == "no", name
            continue
        assert service.get("restart") == "unless-stopped", name
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name} has no healthcheck"


def test_volumes_are_declared_and_bind_mounts_exist(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("${"):
                continue  # CAPTURES_HOST_DIR: a host directory chosen at deployment
            if source.startswith((".", "/")):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"
            else:
                used.add(source)
                assert source in declared, f"{name} uses undeclared volume {source}"
    assert {"postgres-data", "minio-data"} <= used
    init_mounts = [v for v in services["postgres"]["volumes"] if "/docker-entrypoint-initdb.d/" in v]
    assert init_mounts and (DOCKER / init_mounts[0].split(":")[0]).read_text().startswith("#!/usr/bin/env bash")


def test_postgres_creates_the_databases_the_settings_name(services: dict[str, Any]) -> None:
    env = {k: resolve(v) for k, v in environment(services["postgres"]).items()}
    defaults = Settings.model_fields
    assert env["REFDATA_CATALOG_DB"] == defaults["catalog_db"].default
    assert env["REFDATA_AIRFLOW_DB"] == defaults["airflow_db"].default
    assert env["REFDATA_PG_USER"] == defaults["pg_user"].default
    assert env["POSTGRES_USER"] != env["REFDATA_PG_USER"]  # the application is not the superuser
    sql_conn = resolve(environment(services["airflow-scheduler"])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert urlparse(sql_conn).hostname == "postgres"
    assert urlparse(sql_conn).path == f"/{env['REFDATA_AIRFLOW_DB']}"
    assert urlparse(sql_conn).username == env["AIRFLOW_DB_USER"]


# ---- images ----------------------------------------------------------------------------------


def test_spark_image_versions_equal_settings_and_pyspark_pin(
    spark_dockerfile: str, services: dict[str, Any]
) -> None:
    from refdata.stack.downloads import spark_artifacts

    pyspark = lock_pin("pyspark")
    versions = Versions()  # the defaults in refdata/settings.py, not this shell's environment
    (base,) = dockerfile_from(spark_dockerfile)
    match = re.fullmatch(r"apache/spark:(\d+\.\d+\.\d+)-scala(\d+\.\d+)-java17-python3-ubuntu", base)
    assert match, base
    assert match.group(1) == pyspark
    assert match.group(2) == versions.scala_binary
    assert pyspark.startswith(versions.spark_binary + ".")

    args = dockerfile_args(spark_dockerfile)
    assert args["SPARK_VERSION"] == pyspark
    assert args["SPARK_BINARY"] == versions.spark_binary
    assert args["SCALA_BINARY"] == versions.scala_binary
    assert args["ICEBERG_VERSION"] == versions.iceberg
    assert args["POSTGRES_JDBC_VERSION"] == versions.postgres_jdbc
    assert args["MAVEN_REPO"] == Settings.model_fields["maven_repo_url"].default
    for key in ("ICEBERG_SPARK_RUNTIME_SHA256", "ICEBERG_AWS_BUNDLE_SHA256", "POSTGRES_JDBC_SHA256"):
        assert re.fullmatch(r"[0-9a-f]{64}", args[key]), key

    # The jars fetched are exactly the ones the project's Spark sessions use.
    urls = {re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], raw)
            for raw in re.findall(r'"(\$\{MAVEN_REPO\}/[^"]+\.jar)"', spark_dockerfile)}
    settings = Settings(_env_file=None, versions=versions)
    expected = {artifact.url(args["MAVEN_REPO"]) for artifact in spark_artifacts(settings)}
    assert urls == expected

    for name in ("spark-master", "spark-worker"):
        assert services[name]["image"] == f"refdata/spark:{pyspark}-iceberg{versions.iceberg}"
        assert services[name]["build"]["dockerfile"] == "Dockerfile.spark"


def test_app_image(services: dict[str, Any]) -> None:
    text = (DOCKER / "Dockerfile.app").read_text()
    assert "openjdk-17-jdk-headless" in text
    assert "--requirement /tmp/requirements/main.lock" in text
    assert "COPY requirements/main.lock" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name in APP_SERVICES:
        assert services[name]["image"] == f"refdata/app:{version}", name
        assert services[name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile.app"}, name
    ignore = (DOCKER / "Dockerfile.app.dockerignore").read_text().splitlines()
    for copied in re.findall(r"^COPY\s+(\S+)\s", text, re.MULTILINE):
        assert f"!{copied.rstrip('/')}" in {line.rstrip("/") for line in ignore}, f"{copied} is ignored"


# ---- Airflow ---------------------------------------------------------------------------------


def test_airflow_variables_are_airflow_options_and_mirror_the_local_stack(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import refdata.stack.airflow as stack_airflow

    options = airflow_options()
    monkeypatch.setattr(stack_airflow, "spark_java_home", lambda settings: Path("/usr/lib/jvm/java-17"))
    local = {k for k in stack_airflow.airflow_env(Settings(_env_file=None)) if k.startswith("AIRFLOW__")}
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        for key in (k for k in env if k.startswith("AIRFLOW__")):
            _, section, option = key.split("__", 2)
            assert option.lower() in options.get(section.lower(), set()), f"{name}: {key} is not an Airflow option"
        for key in local:
            replacement = AIRFLOW_VARS_NOT_IN_COMPOSE.get(key, key)
            if key in AIRFLOW_VARS_NOT_IN_COMPOSE:
                _, section, option = key.split("__", 2)
                assert option.lower() not in options.get(section.lower(), set()), f"{key} exists again"
            if replacement is not None:
                assert replacement in env, f"{name} lacks {replacement} (set by refdata/stack/airflow.py)"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        # spark_default (the operator's connection) and the settings name the same master.
        connection = json.loads(resolve(env["AIRFLOW_CONN_SPARK_DEFAULT"]))
        assert connection == {"conn_type": "spark", "host": resolve(env["REFDATA_SPARK_MASTER"])}
        execution_api = urlparse(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert execution_api.hostname == "airflow-apiserver" and execution_api.path == "/execution/"
        assert str(execution_api.port) == env["AIRFLOW__API__PORT"]
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/refdata/dags"


# ---- Trino -----------------------------------------------------------------------------------


def test_trino_catalog_mirrors_the_local_stack(services: dict[str, Any]) -> None:
    from refdata.stack.trino import catalog_properties

    catalog = properties(DOCKER / "trino" / "catalog" / f"{Settings.model_fields['catalog_name'].default}.properties")
    local = catalog_properties(Settings(_env_file=None))
    assert set(catalog) == set(local)
    # IAM roles (empty access key): exactly the two lines docker/README.md says to delete go.
    keyless = catalog_properties(Settings(_env_file=None, s3_access_key=""))
    assert set(local) - set(keyless) == {"s3.aws-access-key", "s3.aws-secret-key"}
    assert set(keyless) <= set(local)
    fields = set(Settings.model_fields)
    sentinel = "sentinel-value"
    for key, value in catalog.items():
        placeholder = _TRINO_ENV.fullmatch(value)
        if placeholder is None:
            assert value == local[key], key
            continue
        variable = placeholder.group(1)
        for service in TRINO_SERVICES:
            assert variable in environment(services[service]), f"{service} does not set {variable} ({key})"
        if variable.startswith("REFDATA_"):
            field = variable.removeprefix("REFDATA_").lower()
            assert field in fields, variable
            # The property really derives from that setting.
            if Settings.model_fields[field].annotation is bool:
                for flag in (True, False):
                    assert catalog_properties(Settings(_env_file=None, **{field: flag}))[key] == str(flag).lower(), key
                # Trino reads the compose value itself: it must be a Trino boolean, and the
                # local stack's default.
                for service in TRINO_SERVICES:
                    assert resolve(environment(services[service])[variable]) == local[key], (service, key)
            else:
                assert catalog_properties(Settings(_env_file=None, **{field: sentinel}))[key] == sentinel, key
        else:
            # Composed in compose.yaml: its default must give what the local stack computes.
            assert resolve(environment(services["trino-coordinator"])[variable]) == local[key], key


def test_trino_and_the_applications_share_catalog_and_object_store(services: dict[str, Any]) -> None:
    app = environment(services["airflow-scheduler"])
    for name in TRINO_SERVICES:
        for key, value in environment(services[name]).items():
            if key.startswith("REFDATA_"):
                assert value == app[key], f"{name}: {key}={value!r} but the applications use {app[key]!r}"
    # An empty access key in docker/.env (IAM roles) must reach the containers empty: compose's
    # ${X:-d} would replace it with the default, ${X-d} does not (likewise ${X:?e} vs ${X?e}).
    for name in (*APP_SERVICES, *TRINO_SERVICES):
        env = environment(services[name])
        for key in ("REFDATA_S3_ACCESS_KEY", "REFDATA_S3_SECRET_KEY"):
            (match,) = _INTERPOLATION.finditer(env[key])
            assert match.group(1) == key and match.group(2) in ("-", "?"), f"{name}: {key}={env[key]!r}"


def test_every_trino_placeholder_is_provided(services: dict[str, Any]) -> None:
    def mounts(name: str, path: Path) -> bool:
        sources = [(DOCKER / str(v).split(":", 1)[0]).resolve() for v in services[name]["volumes"]]
        return any(source == path or source in path.parents for source in sources)

    files = [p.resolve() for p in (DOCKER / "trino").rglob("*") if p.is_file()]
    assert len(files) >= 8
    for path in files:
        mounted_in = [name for name in TRINO_SERVICES if mounts(name, path)]
        assert mounted_in, f"{path} is mounted in no Trino service"
        for variable in _TRINO_ENV.findall(path.read_text()):
            for name in mounted_in:
                assert variable in environment(services[name]), f"{name} lacks {variable} for {path.name}"


def test_trino_access_control_equals_the_local_rules(services: dict[str, Any]) -> None:
    from refdata.stack.trino import access_control_rules

    trino_user = environment(services["api"])["REFDATA_TRINO_USER"]
    rules = json.loads((DOCKER / "trino" / "coordinator" / "access-control-rules.json").read_text())
    expected = access_control_rules(Settings(_env_file=None, trino_user=trino_user,
                                             catalog_name=Settings.model_fields["catalog_name"].default))
    assert rules == expected
    control = properties(DOCKER / "trino" / "coordinator" / "access-control.properties")
    assert control["access-control.name"] == "file"
    mounts = {str(v).split(":")[1] for v in services["trino-coordinator"]["volumes"]}
    assert control["security.config-file"] in mounts
    config = properties(DOCKER / "trino" / "coordinator" / "config.properties")
    assert config["access-control.config-files"] in mounts
    assert config["coordinator"] == "true"
    worker = properties(DOCKER / "trino" / "worker" / "config.properties")
    assert worker["coordinator"] == "false"
    assert worker["discovery.uri"] == config["discovery.uri"] == "http://trino-coordinator:8080"
    assert urlparse(resolve(environment(services["api"])["REFDATA_TRINO_URL"])).hostname == "trino-coordinator"
