"""Secrets at rest: AES-256-GCM with a key ring, so keys can rotate without losing data.

A stored value reads `v1:<key id>:<base64url(nonce + ciphertext + tag)>`. The key id names the key
that sealed it, so values sealed under an older key still open after a new key becomes current.
Each column seals with its own associated data (its "purpose"), so a value copied from one column
into another does not open there.

Keys come from TOKEN_KEYS (`id:base64key,id:base64key`, the first one current). Without it,
development keeps a generated key ring in the instance folder (`token_keys`).
"""
import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import literal, select, type_coerce, update
from sqlalchemy.types import Text, TypeDecorator

from studio.config import write_private_file

PREFIX = "v1"


class DecryptionError(Exception):
    pass


def _b64encode(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key():
    return AESGCM.generate_key(bit_length=256)


def new_key_id():
    return secrets.token_hex(4)


class KeyRing:
    """Named 256-bit keys; the first is the one new values are sealed with."""

    def __init__(self, keys):
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = dict(keys)  # insertion order: current first
        for key_id, key in self.keys.items():
            if len(key) != 32 or ":" in key_id:
                raise ValueError(f"key {key_id!r} must be 32 bytes and its id must not contain ':'")

    @property
    def current_id(self):
        return next(iter(self.keys))

    def encrypt(self, plaintext, purpose):
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}:{self.current_id}:{_b64encode(nonce + sealed)}"

    def decrypt(self, stored, purpose):
        try:
            prefix, key_id, payload = stored.split(":", 2)
        except ValueError:
            raise DecryptionError("not an encrypted value")
        if prefix != PREFIX or key_id not in self.keys:
            raise DecryptionError(f"no key {key_id!r} to open this value")
        try:
            raw = _b64decode(payload)
            return AESGCM(self.keys[key_id]).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise DecryptionError("the value was altered, truncated or sealed for another purpose")

    def key_id_of(self, stored):
        return stored.split(":", 2)[1]

    def serialize(self):
        return ",".join(f"{key_id}:{_b64encode(key)}" for key_id, key in self.keys.items())

    @classmethod
    def parse(cls, text):
        keys = {}
        try:
            for item in filter(None, (part.strip() for part in text.split(","))):
                key_id, _, encoded = item.partition(":")
                keys[key_id] = _b64decode(encoded)
            return cls(keys)
        except (ValueError, binascii.Error) as error:
            raise SystemExit(f"TOKEN_KEYS is malformed ({error}); expected id:base64key,id:base64key")


def keyring_file(instance_path):
    return Path(instance_path) / "token_keys"


def load_keyring(config, instance_path):
    """TOKEN_KEYS from the environment, else the instance folder's ring (made on first use)."""
    if config.get("TOKEN_KEYS"):
        return KeyRing.parse(config["TOKEN_KEYS"])
    if config.get("STUDIO_ENV") == "production":
        raise SystemExit("TOKEN_KEYS must be set when STUDIO_ENV=production (see `flask studio rotate-key --help`)")
    path = keyring_file(instance_path)
    if not path.exists():
        write_private_file(path, KeyRing({new_key_id(): new_key()}).serialize())
    return KeyRing.parse(path.read_text())


def current_keyring():
    return current_app.extensions["studio_keyring"]


class EncryptedText(TypeDecorator):
    """A text column stored sealed; Python code only ever sees the plaintext."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return current_keyring().encrypt(value, self.purpose)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return current_keyring().decrypt(value, self.purpose)


def encrypted_columns(metadata):
    """(table, column) for every EncryptedText column the models declare."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def reseal_all(session, metadata, keyring):
    """Re-encrypt every sealed value not yet under the current key; returns how many changed.

    Works on the stored text itself (type_coerce to plain Text skips this type's processing),
    inside the caller's transaction: if any value fails to open, the caller rolls back."""
    changed = 0
    for table, column in encrypted_columns(metadata):
        primary_key = list(table.primary_key.columns)[0]
        stored_values = session.execute(
            select(primary_key, type_coerce(column, Text)).where(column.is_not(None))
        ).all()
        for row_id, stored in stored_values:
            if keyring.key_id_of(stored) == keyring.current_id:
                continue
            resealed = keyring.encrypt(keyring.decrypt(stored, column.type.purpose), column.type.purpose)
            session.execute(update(table).where(primary_key == row_id).values({column.name: literal(resealed, Text)}))
            changed += 1
    return changed
