"""The README's production steps, run literally in a fresh copy of the repository, serve the Chinese interface."""

import os
import re
import secrets
import signal
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest

from tracker import catalogs

ROOT = Path(__file__).resolve().parent.parent
#: The env file the README's commands source; the test points them at its own.
README_ENV_FILE = "/etc/case-tracker.env"
#: Installing the requirements from the package index dominates; a couple of minutes at most.
STARTUP_TIMEOUT_SECONDS = 300
#: Environment of the test run that a production shell would not have.
PRIVATE_VARIABLES = re.compile(r"^(TRACKER_|TEST_|FLASK_|DATABASE_URL$|SECRET_KEY$|VIRTUAL_ENV$|PYTHON|PYTEST)")


def production_section() -> str:
    """The README's "## Production" section."""
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Production\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def shell_blocks(section: str) -> list[str]:
    """The section's ```sh blocks, with the list indentation removed."""
    blocks = re.findall(r"^( *)```sh\n(.*?)^\1```", section, re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent):] for line in body.splitlines()) for indent, body in blocks]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_copy(destination: Path) -> None:
    """The committed tree, as `git clone` would give it: no venv, no compiled catalogs, no instance folder."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"cannot take a clean copy of the repository: {error}")
        pytest.skip(f"not a git checkout: {error}")
    with tarfile.open(fileobj=BytesIO(archive)) as tree:
        tree.extractall(destination, filter="data")


def test_the_readme_names_the_production_settings_and_commands():
    environment, commands = shell_blocks(production_section())[:2]
    assert {"DATABASE_URL", "SECRET_KEY", "TRACKER_CONFIG"} <= set(re.findall(r"^([A-Z_]+)=", environment, re.M))
    assert "postgresql+psycopg://" in environment
    assert ".venv/bin/pip install -r requirements.txt" in commands
    assert "db upgrade" in commands
    assert commands.strip().endswith("gunicorn wsgi:app")


def test_a_missing_or_stale_catalog_is_compiled_and_a_fresh_one_is_kept(tmp_path):
    written = catalogs.compile_catalogs(tmp_path)
    compiled = tmp_path / "zh" / "LC_MESSAGES" / "messages.mo"
    assert written == [compiled] and compiled.stat().st_size > 0
    assert catalogs.compile_catalogs(tmp_path) == []
    os.utime(compiled, (0, 0))
    assert catalogs.compile_catalogs(tmp_path) == [compiled]


@pytest.mark.install
def test_the_readme_production_steps_serve_the_login_page_in_chinese(tmp_path, pg_cluster):
    checkout = tmp_path / "case-tracker"
    checkout.mkdir()
    fresh_copy(checkout)
    assert not list(checkout.rglob("*.mo"))
    port = free_port()
    if pg_cluster is not None:
        database_url = pg_cluster.create_database(f"install_{secrets.token_hex(4)}")
    else:
        database_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    env_file = tmp_path / "case-tracker.env"
    env_file.write_text(
        "TRACKER_CONFIG=production\n"
        f"DATABASE_URL={database_url}\n"
        f"SECRET_KEY={secrets.token_hex(32)}\n"
        f"UPLOAD_FOLDER={tmp_path / 'uploads'}\n"
        f'GUNICORN_CMD_ARGS="--bind 127.0.0.1:{port} --workers 2"\n'
    )
    commands = shell_blocks(production_section())[1].replace(README_ENV_FILE, str(env_file))
    environment = {name: value for name, value in os.environ.items() if not PRIVATE_VARIABLES.match(name)}
    log_path = tmp_path / "install.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", "-e", "-c", commands], cwd=checkout, env=environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    page = response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        assert page is not None, f"the server never answered; the steps said:\n{log_path.read_text()[-4000:]}"
        assert '<html lang="zh-CN">' in page
        assert "登录" in page
        assert (checkout / "instance" / "translations" / "zh" / "LC_MESSAGES" / "messages.mo").exists()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
