"""Fetch pinned artifacts from Maven Central into the cache, verified by their SHA-1."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from refdata.errors import ConfigurationError
from refdata.settings import Settings


@dataclass(frozen=True)
class MavenArtifact:
    group: str
    artifact: str
    version: str
    extension: str = "jar"

    @property
    def file_name(self) -> str:
        return f"{self.artifact}-{self.version}.{self.extension}"

    def url(self, repo_url: str) -> str:
        group_path = self.group.replace(".", "/")
        return f"{repo_url.rstrip('/')}/{group_path}/{self.artifact}/{self.version}/{self.file_name}"


def spark_artifacts(settings: Settings) -> list[MavenArtifact]:
    v = settings.versions
    runtime = f"iceberg-spark-runtime-{v.spark_binary}_{v.scala_binary}"
    return [
        MavenArtifact("org.apache.iceberg", runtime, v.iceberg),
        MavenArtifact("org.apache.iceberg", "iceberg-aws-bundle", v.iceberg),
        MavenArtifact("org.postgresql", "postgresql", v.postgres_jdbc),
    ]


def trino_artifacts(settings: Settings) -> list[MavenArtifact]:
    return [
        MavenArtifact("io.trino", "trino-server-core", settings.versions.trino, "tar.gz"),
        MavenArtifact("io.trino", "trino-iceberg", settings.versions.trino, "zip"),
    ]


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(artifact: MavenArtifact, settings: Settings) -> Path:
    """Return the cached file, downloading and verifying it first if needed."""
    target_dir = settings.downloads_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / artifact.file_name
    verified_marker = target.with_name(target.name + ".sha1-ok")
    if target.exists() and verified_marker.exists():
        return target

    url = artifact.url(settings.maven_repo_url)
    try:
        with httpx.Client(timeout=httpx.Timeout(30.0, read=120.0), follow_redirects=True) as client:
            expected_sha1 = client.get(url + ".sha1").raise_for_status().text.split()[0].strip()
            if not target.exists() or _sha1(target) != expected_sha1:
                partial = target.with_name(target.name + ".part")
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    with open(partial, "wb") as out:
                        for chunk in response.iter_bytes(1 << 20):
                            out.write(chunk)
                partial.replace(target)
    except httpx.HTTPError as error:
        raise ConfigurationError(
            f"cannot download {url} ({error}) and it is not in the cache {target_dir}; "
            f"check network access to Maven Central or set REFDATA_MAVEN_REPO_URL to a mirror"
        ) from error
    actual = _sha1(target)
    if actual != expected_sha1:
        target.unlink(missing_ok=True)
        raise ConfigurationError(f"{url}: SHA-1 mismatch (expected {expected_sha1}, got {actual})")
    verified_marker.write_text(expected_sha1)
    return target
