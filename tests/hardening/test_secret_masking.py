"""No secret in any message: one masking function (rootwatch.masking) at the command line's edge,
tested with a table of forms, then end to end on the commands that echo what they were given."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootwatch.engines.dsn import hide_password, mask_dsn
from rootwatch.masking import mask_secrets, secrets_in

FORMS = [
    # (text, what must be gone, what must stay)
    ("postgresql://u:p@ss%40SECRET@127.0.0.1:1/db", "SECRET", "127.0.0.1:1/db"),
    ("postgresql://u:p@ssSECRET@127.0.0.1:1/db", "SECRET", "@127.0.0.1:1/db"),
    ("postgresql:/u:SECRET@127.0.0.1:1/db", "SECRET", "postgresql:/u:***@"),
    ("postgres//u:SECRET@127.0.0.1:1/db", "SECRET", "postgres//u:***@"),
    ("u:SECRET@127.0.0.1/db", "SECRET", "u:***@127.0.0.1/db"),
    ("host=127.0.0.1 port=1 pasword=SECRET", "SECRET", "port=1"),
    ("host=127.0.0.1 PASSWORD=SECRET user=u", "SECRET", "user=u"),
    ("host=h password='SECRET with spaces' user=u", "SECRET", "user=u"),
    ("passwd: SECRET", "SECRET", "passwd"),
    ('{"password": "SECRET", "user": "u"}', "SECRET", '"user": "u"'),
    ("--endpoint-url http://AKIAEXAMPLE:SECRET@127.0.0.1:5000", "SECRET", "127.0.0.1:5000"),
    ("https://hooks.example/x?token=SECRET&team=a", "SECRET", "team=a"),
    ("smtp_password=SECRET", "SECRET", "smtp_password"),
    ("aws_secret_access_key = SECRET", "SECRET", "aws_secret_access_key"),
    ("https://AK:SECRET@sqs.eu-west-1.amazonaws.com/555555555555/q", "SECRET", "sqs.eu-west-1.amazonaws.com"),
    ("smtps://alerts:SECRET@mail.example:465", "SECRET", "mail.example:465"),
    ("X-Amz-Signature=SECRET", "SECRET", "X-Amz-Signature"),
]

KEPT = [
    "error: cannot open file: notes.txt",
    "root@example.com is the contact",
    "arn:aws:iam::111111111111:root",
    "duplicate key 'Records' in trail.json",
    "3 passed: 2 ok, 1 info",
    "at 10:30 the run ended",
    "https://sqs.eu-west-1.amazonaws.com/555555555555/queue",
    # Evidence about a credential is not a credential: the report's columns keep their values.
    "report line 3: column password_last_used: unknown value 'never'",
    "access_key_1_active: true, password_enabled: false",
    "MinimumPasswordLength=14",
    "report.csv:3: column password_last_used: unknown value 'never'",
    "password_enabled: true",
    "aws default credentials: sts:GetCallerIdentity: NoCredentialsError",
]


@pytest.mark.parametrize(("text", "secret", "kept"), FORMS)
def test_each_form_is_masked(text: str, secret: str, kept: str) -> None:
    masked = mask_secrets(text)
    assert secret not in masked and "***" in masked
    assert kept in masked


@pytest.mark.parametrize("text", KEPT)
def test_text_without_secrets_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


def test_a_fragment_of_an_argument_quoted_on_its_own_is_masked() -> None:
    """A resolver names the "host" it was given, which holds the rest of a password with an "@"."""
    known = secrets_in(["--database", "postgresql://u:p@ssSECRET@127.0.0.1:1/db"])
    assert "SECRET" not in mask_secrets("failed to resolve host 'ssSECRET@127.0.0.1'", known)


@pytest.mark.parametrize("dsn", [text for text, _, _ in FORMS[:8]])
def test_mask_dsn_and_hide_password_hide_every_form(dsn: str) -> None:
    assert "SECRET" not in mask_dsn(dsn)
    assert "SECRET" not in hide_password(f"invalid connection string {dsn!r}", dsn)


DSNS = [
    "postgresql://u:p@ssSECRET@127.0.0.1:1/db",
    "postgresql://u:p@ss%40SECRET@127.0.0.1:1/db",
    "postgresql:/u:SECRET@127.0.0.1:1/db",
    "postgres//u:SECRET@127.0.0.1:1/db",
    "u:SECRET@127.0.0.1/db",
    "host=127.0.0.1 port=1 pasword=SECRET",
    "host=127.0.0.1 port=1 PASSWORD=SECRET",
    "host=127.0.0.1 port=1 password=SECRET sslmode=bogus",
    "postgresql://u:SECRET@127.0.0.1:notaport/db",
]


@pytest.mark.parametrize("dsn", DSNS)
def test_no_dsn_form_leaks_from_a_run(run_cli, cli_mod: Path, dsn: str) -> None:
    code, out, err = run_cli("query", "run", "select 1 as one", "--mod-location", str(cli_mod), "--database", dsn)
    assert code == 3
    assert "SECRET" not in out + err and "Traceback" not in err


@pytest.mark.parametrize("dsn", DSNS[:3])
def test_no_dsn_form_leaks_from_the_environment(run_cli, cli_mod: Path, monkeypatch, dsn: str) -> None:
    monkeypatch.setenv("ROOTWATCH_DATABASE", dsn)
    code, out, err = run_cli("query", "run", "select 1 as one", "--mod-location", str(cli_mod), "--database")
    assert code == 3
    assert "SECRET" not in out + err


def test_endpoint_url_credentials_are_not_echoed(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, out, err = run_cli(
        "snapshot", "from-aws", "--endpoint-url", "http://AKIAEXAMPLE:SECRETKEY@127.0.0.1:1", "-o", str(tmp_path / "x.duckdb")
    )
    assert code in (2, 3)
    assert "SECRETKEY" not in out + err
    assert not (tmp_path / "x.duckdb").exists()


def test_a_queue_url_with_credentials_is_not_echoed(run_cli, cli_mod: Path, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    code, out, err = run_cli("events", "--mod-location", str(cli_mod), "--sqs", "https://AK:SQSSECRET@127.0.0.1:1/123/q", "--once")
    assert code == 3
    assert "SQSSECRET" not in out + err


def test_argparse_errors_are_masked_too(run_cli) -> None:
    code, _, err = run_cli("query", "run", "select 1", "--query-timeout", "password=SECRET")
    assert code == 3
    assert "SECRET" not in err
