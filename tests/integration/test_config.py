"""Configuration: embedded defaults for development, and a production that refuses to start unsafe."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_app_import(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "STUDIO_ENV")}
    env.update({"STUDIO_INSTANCE_PATH": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "-c", "import app; print(app.app.config['SQLALCHEMY_DATABASE_URI'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key_and_says_so_in_one_line(tmp_path):
    result = run_app_import({"STUDIO_ENV": "production"}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == "SECRET_KEY must be set when STUDIO_ENV=production (at least 32 random characters)"


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_app_import({"STUDIO_ENV": "production", "SECRET_KEY": "changeme"}, tmp_path)
    assert result.returncode != 0 and "SECRET_KEY is too short" in result.stderr


def test_development_defaults_to_sqlite_in_the_instance_folder_and_keeps_a_generated_key(tmp_path):
    result = run_app_import({}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sqlite:///{tmp_path}/studio.db"
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 48 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert run_app_import({}, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key, "the key survives restarts"


def test_a_postgres_url_gets_the_psycopg_driver(tmp_path):
    result = run_app_import({"DATABASE_URL": "postgres://u:p@localhost/studio"}, tmp_path)
    assert result.stdout.strip() == "postgresql+psycopg://u:p@localhost/studio"


def test_production_cookies_are_secure(tmp_path):
    from studio.config import load_config

    os.environ.update(STUDIO_ENV="production", SECRET_KEY="x" * 40, PUBLIC_URL="https://studio.example.org")
    try:
        config = load_config(str(tmp_path))
    finally:
        del os.environ["STUDIO_ENV"], os.environ["SECRET_KEY"], os.environ["PUBLIC_URL"]
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_to_start_without_token_keys(tmp_path):
    result = run_app_import({"STUDIO_ENV": "production", "SECRET_KEY": "k" * 40, "PUBLIC_URL": "https://s.example"}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("TOKEN_KEYS must be set when STUDIO_ENV=production")


def test_production_refuses_to_start_without_a_public_url(tmp_path):
    result = run_app_import({"STUDIO_ENV": "production", "SECRET_KEY": "k" * 40}, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == "PUBLIC_URL must be set when STUDIO_ENV=production (e.g. https://studio.example.org)"


def test_production_starts_with_its_keys_and_without_the_sandbox(tmp_path):
    from studio.security.crypto import KeyRing, new_key

    keys = KeyRing({"prod1": new_key()}).serialize()
    env = {"STUDIO_ENV": "production", "SECRET_KEY": "k" * 40, "TOKEN_KEYS": keys, "PUBLIC_URL": "https://studio.example.org"}
    result = subprocess.run(
        [sys.executable, "-c", "import app; print(app.app.config['SANDBOX_ENABLED'])"],
        cwd=ROOT, env={**os.environ, **env, "STUDIO_INSTANCE_PATH": str(tmp_path)}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
