"""docs/deployment.md works as written (issue 20): its own shell lines create the folders in a
scratch root as an unprivileged account, the clone works for that account, every folder a unit
may write exists with its owner and mode, `systemd-analyze verify` accepts the units, `nginx -t`
accepts the nginx configuration, and the headers that configuration sends pass the dashboard's
same-origin check (they failed with `Host $host` behind a non-443 port)."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from starlette.requests import Request

from dashboard.access import login_routes
from dashboard.line.sandbox_process import free_port

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
ACCOUNT, GROUP = "nobody", "nogroup"   # stands in for the guide's linedash (no account is created here)


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", GUIDE, flags=re.S | re.M)


def units() -> dict[str, str]:
    """unit file name -> text: each ```ini block follows the line naming its /etc/systemd/system path."""
    found = re.findall(r"`/etc/systemd/system/([\w.-]+\.service)`:\s*\n\s*```ini\n(.*?)^```", GUIDE, flags=re.S | re.M)
    return dict(found)


def keys(unit: str, key: str) -> list[str]:
    return [v for k, v in re.findall(r"^(\w+)=(.*)$", unit, flags=re.M) if k == key]


@pytest.fixture
def scratch():
    if os.geteuid() != 0:
        pytest.skip("needs root: the guide creates folders owned by the service account with sudo")
    root = Path(tempfile.mkdtemp(prefix="deploy-", dir="/tmp"))
    root.chmod(0o755)  # like /: every account may pass through
    yield root
    shutil.rmtree(root)


def _run_install_block(root: Path) -> list[str]:
    """The guide's install block, line by line, with its paths under `root`, sudo dropped and
    `sudo -u linedash` becoming the unprivileged account. Returns the lines not run here."""
    remote = root / "remote.git"   # stands in for GitHub: a repository anybody may read
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(remote)], check=True)
    subprocess.run(["chown", "-R", f"{ACCOUNT}:{GROUP}", str(remote)], check=True)
    cwd = root / "root-home"       # the administrator's folder, which the account cannot read
    cwd.mkdir(mode=0o700)
    skipped = []
    for line in blocks("sh")[0].splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"sudo (apt-get|useradd)\b", line) or re.search(r" -m venv |\bpip install ", line):
            skipped.append(line)   # system packages, the account and the venv: not repeated here
            continue
        command = (line.replace("https://github.com/<you>/line-dashboard", f"file://{remote}")
                   .replace("-o linedash -g linedash", f"-o {ACCOUNT} -g {GROUP}")
                   .replace("sudo -u linedash ", f"setpriv --reuid={ACCOUNT} --regid={GROUP} --clear-groups ")
                   .replace("/srv/", f"{root}/srv/").replace("/var/", f"{root}/var/"))
        command = re.sub(r"^sudo ", "", command)
        result = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
    return skipped


def _owned(path: Path, mode: int) -> None:
    info = path.stat()
    assert (path, stat.S_IMODE(info.st_mode)) == (path, mode)
    assert info.st_uid == int(subprocess.check_output(["id", "-u", ACCOUNT]))


def test_the_install_steps_run_as_written_for_an_unprivileged_account(scratch):
    skipped = _run_install_block(scratch)
    assert len(skipped) == 4, skipped   # apt-get, useradd, venv, pip: exactly these are not run here
    app = scratch / "srv" / "line-dashboard"
    assert (app / "app.py").is_file(), "the account cloned the program into its folder"
    _owned(app, 0o750)
    for folder in (app / "data", app / "data" / "spool", scratch / "var" / "backups" / "line-dashboard"):
        _owned(folder, 0o700)
    _owned(app / ".streamlit" / "secrets.toml", 0o600)
    # every folder a unit may write exists before the first start (else systemd fails with 226/NAMESPACE)
    for name, unit in units().items():
        assert keys(unit, "User") == ["linedash"]
        for entry in " ".join(keys(unit, "ReadWritePaths")).split():
            path = scratch / entry.lstrip("-").lstrip("/")
            assert path.is_dir(), f"{name}: ReadWritePaths {entry} does not exist after the install steps"
            _owned(path, 0o700)
        assert (scratch / keys(unit, "WorkingDirectory")[0].lstrip("/")).is_dir()


def test_settings_point_into_the_folders_the_units_may_write():
    dashboard, webhook = units()["line-dashboard.service"], units()["line-webhook.service"]
    writable = " ".join(keys(dashboard, "ReadWritePaths")).split()
    backup_dir = re.search(r'^DASHBOARD_BACKUP_DIR = "(.*)"', blocks("toml")[0], flags=re.M).group(1)
    assert "-" + backup_dir in writable                # optional: a missing backup disk never stops the dashboard
    assert "/srv/line-dashboard/data" in writable       # DASHBOARD_DB's default, data/dashboard.duckdb
    assert keys(webhook, "ReadWritePaths") == ["/srv/line-dashboard/data/spool"]   # never the database
    assert 'DASHBOARD_SHARED = "true"' in blocks("toml")[0]


def test_units_are_hardened_and_wait_for_the_network():
    assert set(units()) == {"line-dashboard.service", "line-webhook.service"}
    for unit in units().values():
        assert keys(unit, "UMask") == ["0077"]
        assert keys(unit, "Wants") == ["network-online.target"] == keys(unit, "After")
        assert keys(unit, "NoNewPrivileges") == ["true"] and keys(unit, "ProtectSystem") == ["strict"]


def test_systemd_analyze_verifies_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package provides it)")
    app = tmp_path / "srv" / "line-dashboard"
    (app / "data" / "spool").mkdir(parents=True)
    (app / ".venv").symlink_to(ROOT / ".venv")         # ExecStart must name an executable that exists
    files = []
    for name, unit in units().items():
        path = tmp_path / name
        path.write_text(unit.replace("/srv/", f"{tmp_path}/srv/"))
        files.append(str(path))
    result = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and complaints == [], result.stdout + result.stderr


def _servers(config: str) -> list[str]:
    """The top-level server { … } blocks of an nginx configuration."""
    found, depth, start = [], 0, None
    for match in re.finditer(r"\bserver\s*\{|\{|\}", config):
        if match.group(0) != "}":
            if depth == 0 and match.group(0).startswith("server"):
                start = match.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start is not None:
                found.append(config[start:match.end()])
                start = None
    return found


def test_nginx_keeps_the_dashboard_on_its_own_listener_with_https_only():
    config = blocks("nginx")[0]
    servers = _servers(config)
    listens = {s: set(re.findall(r"^\s*listen\s+(\S+)", s, flags=re.M)) for s in servers}
    dashboard = [s for s in servers if "127.0.0.1:8501" in s]
    public = [s for s in servers if "127.0.0.1:8080" in s]
    assert len(dashboard) == 1 and len(public) == 1
    internal_listens = listens[dashboard[0]]
    for other in servers:
        if other is not dashboard[0] and "line-dashboard.corp.example" not in other:
            assert not internal_listens & listens[other], "the public site must not share the dashboard's listener"
    for server in servers:
        if " ssl" in " ".join(listens[server]) or "ssl_certificate" in server:
            assert 'Strict-Transport-Security "max-age=' in server
        else:
            assert re.search(r"return 301 https://", server), "plain http only redirects"
    assert "allow 172.16.0.0/12;" in dashboard[0]
    assert not re.search(r"proxy_set_header\s+Host\s+\$host\b", config), "$host drops a non-443 port"


def _nginx_headers(server: str, browser: dict) -> dict:
    """The headers nginx sends upstream for a browser request, from the server's proxy_set_header lines."""
    variables = {"$http_host": browser["Host"], "$host": browser["Host"].split(":")[0], "$scheme": "https",
                 "$proxy_add_x_forwarded_for": "10.1.2.3", "$http_upgrade": ""}
    sent = {k: v for k, v in browser.items() if k != "Host"}
    for name, value in re.findall(r"proxy_set_header\s+(\S+)\s+(\"[^\"]*\"|\S+);", server):
        value = value.strip('"')
        sent[name] = variables.get(value, value)
    return sent


def _request(headers: dict) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "scheme": "http", "path": "/account/login", "headers": raw,
                    "query_string": b"", "server": ("127.0.0.1", 8501), "client": ("127.0.0.1", 1)})


BROWSER = {"Host": "line-dashboard.corp.example:8443", "Origin": "https://line-dashboard.corp.example:8443"}


def test_the_guides_proxy_headers_pass_the_same_origin_check_on_a_non_443_port():
    dashboard = next(s for s in _servers(blocks("nginx")[0]) if "127.0.0.1:8501" in s)
    sent = _nginx_headers(dashboard, BROWSER)
    assert sent["Host"] == sent["X-Forwarded-Host"] == "line-dashboard.corp.example:8443"
    request = _request(sent)
    assert login_routes.same_origin(request)
    assert login_routes.is_https(request.url.scheme, request.headers)   # the session cookie gets Secure
    old = dashboard.replace("proxy_set_header Host $http_host;", "proxy_set_header Host $host;")
    old = re.sub(r"\s*proxy_set_header X-Forwarded-Host \$http_host;", "", old)
    assert not login_routes.same_origin(_request(_nginx_headers(old, BROWSER))), "the issue's 403"
    forged = _nginx_headers(dashboard, {**BROWSER, "Origin": "https://evil.example"})
    assert not login_routes.same_origin(_request(forged))


def test_a_log_in_post_through_the_guides_headers_is_not_refused_as_cross_site():
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(login_routes.build_app(), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        dashboard = next(s for s in _servers(blocks("nginx")[0]) if "127.0.0.1:8501" in s)
        headers = {k: v for k, v in _nginx_headers(dashboard, BROWSER).items() if k not in ("Upgrade", "Connection")}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/account/login", data=b"name=a&password=b",
                                         method="POST", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)
        assert answer.value.code == 503   # past the origin check (403): no accounts are configured here
    finally:
        server.should_exit = True
        thread.join(10)


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    config = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", blocks("nginx")[0])
    config = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", config)
    ports: dict[str, int] = {}   # nginx -t binds: each listen address becomes its own free loopback port
    config = re.sub(r"listen\s+([^\s;]+)", lambda m: f"listen 127.0.0.1:{ports.setdefault(m.group(1), free_port())}", config)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\n{config}\n}}\n")
    result = subprocess.run([nginx, "-t", "-q", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr + (tmp_path / "error.log").read_text()


def test_production_install_uses_the_runtime_requirements_only():
    runtime = (ROOT / "requirements.txt").read_text()
    for tool in ("pytest", "playwright", "hypothesis"):
        assert tool not in runtime
    pip_lines = [line for line in blocks("sh")[0].splitlines() if "pip install" in line]
    assert pip_lines and all("requirements.txt" in line and "requirements-dev" not in line for line in pip_lines)
    dry = subprocess.run(["make", "-n", "-B", "install"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0 and "requirements.txt" in dry.stdout and "requirements-dev" not in dry.stdout


def test_the_guide_restores_with_the_restore_command():
    from dashboard.__main__ import build_parser

    restore = next(b for b in blocks("sh") if "restore" in b)
    lines = restore.strip().splitlines()
    assert "systemctl stop line-dashboard" in lines[0] and "systemctl start line-dashboard" in lines[-1]
    assert "python -m dashboard restore /var/backups/line-dashboard/" in lines[1]
    assert build_parser().parse_args(["restore", "x.duckdb"]).func.__name__ == "cmd_restore"
