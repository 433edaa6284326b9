"""Mail to a real SMTP server on loopback (aiosmtpd): STARTTLS and implicit TLS with a certificate
made for the test, login, several recipients, both bodies and the CSV attachment, parsed back."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers.receivers import PASSWORD, USER

# aiosmtpd cannot tell that an implicit-TLS listener is encrypted, and warns about AUTH without TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _config(path: Path, port: int, tls: str, certificate, **extra: str) -> Path:
    lines = [
        "notifiers:",
        "  mail:",
        "    type: email",
        "    host: 127.0.0.1",
        f"    port: {port}",
        f"    tls: {tls}",
        "    from: rootwatch@example.com",
        "    to: [secops@example.com, cloud@example.com]",
        "    retry: {attempts: 2, backoff: 0.1, timeout: 10}",
    ]
    if tls != "none":
        lines += [f"    username: {USER}", "    password_env: TEST_SMTP_PASSWORD", f"    ca_file: {certificate.cert}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self.rows[-1].append("")

    def handle_data(self, data: str) -> None:
        if self.rows and self.tags and self.tags[-1] in ("td", "strong") and self.rows[-1]:
            self.rows[-1][-1] += data


def _parts(mail):  # noqa: ANN001, ANN202
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    return text, html, attachments


def test_starttls_login_two_recipients_and_csv(run_cli, example: Path, smtp_starttls, certificate, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    config = _config(tmp_path / "rootwatch.yaml", smtp_starttls.port, "starttls", certificate, attach_csv="true")
    code, _out, err = run_cli("benchmark", "run", "root", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 1, err
    assert "rootwatch: notified mail: 12 items" in err
    assert smtp_starttls.logins == [(USER, "PLAIN")] or smtp_starttls.logins[0][0] == USER
    ((sender, recipients, mail),) = smtp_starttls.messages
    assert sender == "rootwatch@example.com" and recipients == ["secops@example.com", "cloud@example.com"]
    assert mail["Subject"].startswith("rootwatch: 12 alarms in 4 accounts: root access key")
    assert mail["To"] == "secops@example.com, cloud@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    text, html, attachments = _parts(mail)
    assert "444444444444 (example-sandbox)  Root user not used recently: Root password last used 2026-11-17, 2 days ago" in text
    assert "(last used 2 days ago; password 2026-11-17, access key 1 never, access key 2 never)" in text
    parser = _Cells()
    parser.feed(html)
    rows = [r for r in parser.rows if r]
    assert len(rows) == 12
    assert ["ALARM", "333333333333 (example-legacy)", "Root user has no access keys"] == rows[0][:3]
    assert all(r[4] == "2026-11-20T09:00:00+00:00" for r in rows)
    assert "<script" not in html and "<style" not in html  # mail clients drop both: inline styles only
    table = list(csv.DictReader(io.StringIO(attachments["rootwatch-findings.csv"])))
    assert len(table) == 12
    recent = next(r for r in table if r["control_id"] == "root_not_used_recently" and r["account_id"] == "333333333333")
    assert (recent["days_since_last_use"], recent["password_last_used"], recent["access_key_1_last_used"], recent["access_key_2_last_used"]) == (
        "1", "2026-11-19", "2026-11-18", "")
    assert recent["account_name"] == "example-legacy"
    assert PASSWORD not in err


def test_implicit_tls_from_the_command_line_with_a_row_cap(run_cli, example: Path, smtp_implicit, certificate, monkeypatch) -> None:
    monkeypatch.setenv("ROOTWATCH_SMTP_PASSWORD", PASSWORD)
    target = (
        f"smtps://{USER.replace('@', '%40')}@localhost:{smtp_implicit.port}"
        f"?to=oncall@example.com&from=rootwatch@example.com&ca_file={certificate.cert}&max_rows=3"
    )
    code, _out, err = run_cli("benchmark", "run", "root", "--snapshot", str(example), "--output", "none", "--notify", target, "--notify-level", "verbose")
    assert code == 1, err
    ((_sender, recipients, mail),) = smtp_implicit.messages
    assert recipients == ["oncall@example.com"]
    text, html, attachments = _parts(mail)
    lines = [line for line in text.splitlines() if line.startswith(("ALARM", "OK", "SKIP", "ERROR", "INFO"))]
    assert len(lines) == 3
    assert "... and 63 more (every item is in the attached CSV)" in text
    assert "... and 63 more" in html
    assert len(list(csv.DictReader(io.StringIO(attachments["rootwatch-findings.csv"])))) == 66
    assert PASSWORD not in err


def test_plain_relay_and_no_attachment_unless_asked(run_cli, example: Path, smtp_plain, certificate, tmp_path: Path) -> None:
    config = _config(tmp_path / "rootwatch.yaml", smtp_plain.port, "none", certificate)
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 1, err
    ((_s, _r, mail),) = smtp_plain.messages
    assert mail["Subject"] == "rootwatch: 1 alarm in 1 account: root access key"
    assert list(mail.iter_attachments()) == []


def test_starttls_required_and_certificates_checked(run_cli, example: Path, smtp_plain, smtp_implicit, certificate, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    # A server without STARTTLS: refused, never sent in clear, not retried.
    config = _config(tmp_path / "a.yaml", smtp_plain.port, "starttls", certificate)
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 5
    assert "offers no STARTTLS; not sending in clear" in err and "after 1 attempt" in err
    assert smtp_plain.messages == []
    # Implicit TLS with a certificate nobody vouches for (no ca_file): refused, with the way out.
    config = tmp_path / "b.yaml"
    config.write_text(_config(tmp_path / "c.yaml", smtp_implicit.port, "implicit", certificate).read_text().replace(f"    ca_file: {certificate.cert}\n", ""))
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 5
    assert "certificate of 127.0.0.1 not trusted" in err and "set ca_file" in err
    # A wrong password: final, named, and the password never shown.
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password")
    config = _config(tmp_path / "d.yaml", smtp_implicit.port, "implicit", certificate)
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 5 and "SMTP authentication failed" in err and "wrong-password" not in err
