"""Tokens are sealed at rest with AES-256-GCM and survive a key rotation."""
import pytest
import sqlalchemy as sa

from studio.connections.models import PlatformConnection
from studio.extensions import db
from studio.security.crypto import DecryptionError, KeyRing, new_key
from tests.factories import make_connection, make_workspace


def raw_rows():
    return db.session.execute(sa.text("SELECT access_token, refresh_token FROM platform_connections")).all()


def test_no_plaintext_token_is_in_the_database(app):
    workspace = make_workspace()
    connection = make_connection(workspace)
    access, refresh = connection.access_token, connection.refresh_token
    for stored_access, stored_refresh in raw_rows():
        assert access not in stored_access and refresh not in stored_refresh
        assert stored_access.startswith("v1:") and stored_refresh.startswith("v1:")
    raw_dump = "\n".join(str(row) for table in db.metadata.sorted_tables
                         for row in db.session.execute(sa.text(f"SELECT * FROM {table.name}")).all())
    assert access not in raw_dump and refresh not in raw_dump
    db.session.expire_all()
    assert db.session.get(PlatformConnection, connection.id).access_token == access


def test_the_same_token_seals_differently_each_time_and_tampering_is_caught(app):
    ring = app.extensions["studio_keyring"]
    first, second = ring.encrypt("secret-token", "p"), ring.encrypt("secret-token", "p")
    assert first != second and ring.decrypt(first, "p") == "secret-token"
    tampered = first[:-2] + ("A" if first[-2] != "A" else "B") + first[-1]
    with pytest.raises(DecryptionError):
        ring.decrypt(tampered, "p")
    with pytest.raises(DecryptionError):
        ring.decrypt(first, "another-column")


def test_rotate_key_reseals_every_token_and_they_still_work(app):
    workspace = make_workspace()
    connections = [make_connection(workspace) for _ in range(3)]
    plaintext = {c.id: (c.access_token, c.refresh_token) for c in connections}
    old_key_id = app.extensions["studio_keyring"].current_id

    result = app.test_cli_runner().invoke(args=["studio", "rotate-key"])
    assert result.exit_code == 0, result.output
    new_ring = app.extensions["studio_keyring"]
    assert new_ring.current_id != old_key_id
    assert f"Re-encrypted 6 values under key {new_ring.current_id}" in result.output
    for stored_access, stored_refresh in raw_rows():
        assert stored_access.split(":")[1] == new_ring.current_id == stored_refresh.split(":")[1]

    # A fresh process reads the saved key ring and opens every token.
    from studio import create_app

    again = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "OUTBOX_DIR")},
                        "INSTANCE_PATH": app.instance_path, "TESTING": True})
    with again.app_context():
        for connection_id, tokens in plaintext.items():
            reloaded = db.session.get(PlatformConnection, connection_id)
            assert (reloaded.access_token, reloaded.refresh_token) == tokens
        db.session.remove()
        db.engine.dispose()


def test_rotate_key_with_keys_from_the_environment(app):
    old_ring = app.extensions["studio_keyring"]
    connection = make_connection(make_workspace())
    token = connection.access_token
    new_ring = KeyRing({"k2": new_key(), **old_ring.keys})
    app.config["TOKEN_KEYS"] = new_ring.serialize()
    app.extensions["studio_keyring"] = new_ring
    result = app.test_cli_runner().invoke(args=["studio", "rotate-key"])
    assert "under key k2" in result.output
    app.extensions["studio_keyring"] = KeyRing({"k2": new_ring.keys["k2"]})  # the old key is gone
    db.session.expire_all()
    assert db.session.get(PlatformConnection, connection.id).access_token == token
