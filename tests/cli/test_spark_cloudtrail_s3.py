"""``--cloudtrail s3://...`` on PySpark from PyPI (no S3 filesystem): ``query run root_activity`` on
embedded Spark reads the trail from moto's S3 on loopback and answers with the rows it gives for the
same files in a local folder, and that DuckDB gives for a snapshot built from them; a bucket that
cannot be listed or read is exit code 3 with a message naming it, never "no root activity"."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from helpers.cloudtrail import moto_environment, upload_folder, write_sample_trail
from helpers.remediation import reset_auth
from helpers.spark import free_port, spark_cli_options

pytestmark = [pytest.mark.spark, pytest.mark.moto]

AS_OF = ("--as-of", "2026-11-25T12:00:00Z")
BUCKET = "org-trail"
SECRET = "moto-secret-never-printed"


@pytest.fixture()
def synced(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The sample trail in ``tmp_path/trail`` and at ``s3://org-trail/sync/``, and a DuckDB snapshot
    built from the folder (snapshot from-files); returns (folder, snapshot)."""
    boto3 = pytest.importorskip("boto3")
    reset_auth(moto_url, "inf")
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    moto_environment(monkeypatch, moto_url, tmp_path, secret=SECRET)
    folder = write_sample_trail(tmp_path / "trail")
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    upload_folder(client, BUCKET, folder, "sync/")
    return folder, tmp_path / "org.duckdb"


def _root_activity(run_cli, repo: Path, *source: str) -> tuple[int, list, str]:
    code, out, err = run_cli("query", "run", "root_activity", "--mod-location", str(repo), "--output", "json", *AS_OF, *source)
    return code, json.loads(out) if out.strip() else [], err


def test_s3_rows_equal_the_local_folders_and_duckdbs(run_cli, repo: Path, synced: tuple[Path, Path], spark) -> None:
    folder, snapshot = synced
    # The sample trail's notes.txt is no log: the builder must be told to pass over it, as the readers do.
    code, _, err = run_cli("snapshot", "from-files", str(folder), "--out", str(snapshot), "--captured-at", AS_OF[1], "--skip-bad-files")
    assert code == 0, err
    code, duck, err = _root_activity(run_cli, repo, "--snapshot", str(snapshot))
    assert code == 0, err
    assert len(duck) >= 8
    # 150 days: the August file is read too, as the snapshot holds it.
    spark_source = ("--snapshot", str(snapshot), *spark_cli_options(), "--cloudtrail-days", "150")
    code, local, err = _root_activity(run_cli, repo, *spark_source, "--cloudtrail", str(folder / "AWSLogs"))
    assert code == 0, err
    code, from_s3, err = _root_activity(run_cli, repo, *spark_source, "--cloudtrail", f"s3://{BUCKET}/sync/AWSLogs/")
    assert code == 0, err
    assert from_s3 == local == duck


@pytest.mark.parametrize(
    ("location", "options", "message"),
    [
        ("s3://no-such-bucket/AWSLogs/", (), "cannot list s3://no-such-bucket/AWSLogs/: NoSuchBucket"),
        (f"s3://{BUCKET}/sync/", ("--cloudtrail-reader", "spark"), "Spark cannot open s3:// paths (no S3 filesystem"),
        (f"s3://{BUCKET}/sync/", ("--endpoint",), f"cannot list s3://{BUCKET}/sync/AWSLogs/"),
    ],
    ids=["no-bucket", "no-s3-filesystem", "unreachable"],
)
def test_a_trail_that_cannot_be_read_is_exit_3(
    run_cli, repo: Path, synced: tuple[Path, Path], spark, monkeypatch: pytest.MonkeyPatch, location: str, options: tuple, message: str
) -> None:
    from helpers.snapshots import write_snapshot

    snapshot = write_snapshot(synced[1], {"aws_account": [{"account_id": "123456789012", "partition": "aws", "region": "global"}]})
    if options == ("--endpoint",):  # nothing listens there
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
        options = ()
    code, rows, err = _root_activity(run_cli, repo, "--snapshot", str(snapshot), *spark_cli_options(), "--cloudtrail", location, *options)
    assert (code, rows) == (3, [])
    assert message in err
    assert "Traceback" not in err
    assert SECRET not in err


def test_cloudtrail_reader_goes_with_cloudtrail(run_cli, repo: Path, tmp_path: Path) -> None:
    code, _, err = _root_activity(run_cli, repo, "--snapshot", str(tmp_path / "x.duckdb"), "--cloudtrail-reader", "boto3")
    assert code == 3
    assert "--cloudtrail-reader goes with --cloudtrail" in err


def test_s3_over_spark_connect(repo: Path, synced: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    """On a cluster (a Spark Connect server on loopback) the server's Python workers fetch the
    objects with their own credential chain (the server's environment), not the client's."""
    import subprocess
    import sys

    from helpers.snapshots import write_snapshot
    from helpers.spark import connect_server, require_spark

    require_spark()
    folder, snapshot = synced
    write_snapshot(snapshot, {"aws_account": [{"account_id": "123456789012", "partition": "aws", "region": "global"}]})
    common = ("query", "run", "root_activity", "--mod-location", str(repo), "--output", "json", *AS_OF,
              "--snapshot", str(snapshot), "--cloudtrail-days", "150")
    code, local, err = run_cli(*common, *spark_cli_options(), "--cloudtrail", str(folder / "AWSLogs"))
    assert code == 0, err
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the server's workers: this interpreter (boto3, pyarrow)
    scratch = tmp_path / "connect"
    scratch.mkdir()
    with connect_server(scratch) as url:
        done = subprocess.run([sys.executable, "-m", "rootwatch", *common, "--spark", url, "--cloudtrail", f"s3://{BUCKET}/sync/AWSLogs/"],
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(local)
    assert len(json.loads(local)) >= 8
