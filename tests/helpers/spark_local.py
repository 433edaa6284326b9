"""One Spark session in local mode per test process, for the tests that read data with Spark."""

from __future__ import annotations

import os
import shutil
from functools import cache
from typing import Any

import pytest


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the Spark tests must run under CI=true: {reason}")
    pytest.skip(reason)


def local_spark() -> Any:
    """The process's shared SparkSession (``local[2]``, UTC session time zone); skips the test where
    PySpark or Java is missing, fails under CI=true."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable("PySpark is not installed (pip install 'rootwatch[spark]'; './dev test' installs it)")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        _unavailable("Java is not installed (apt-get install -y openjdk-17-jre-headless; './dev test' installs it)")
    return _session()


@cache
def _session() -> Any:
    from pyspark.sql import SparkSession

    from rootwatch.engines.spark_session import use_this_python

    use_this_python()
    return (
        SparkSession.builder.master("local[2]")
        .appName("rootwatch-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
