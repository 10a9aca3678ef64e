"""Where media files live, behind one interface: a local folder, or S3-compatible object storage
(S3, R2, MinIO) through boto3. Files are written from a stream in chunks, never read whole."""
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from flask import current_app

CHUNK = 1024 * 1024


class StorageError(Exception):
    pass


class Storage:
    def save(self, key: str, stream: IO[bytes]) -> int:
        """Write everything `stream` yields under `key`; returns the number of bytes."""
        raise NotImplementedError

    def open(self, key: str) -> IO[bytes]:
        """A readable binary file object for the stored bytes."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def size(self, key: str) -> int:
        raise NotImplementedError

    def keys(self, prefix: str = "") -> list[str]:
        raise NotImplementedError

    def signed_url(self, key: str, seconds: int) -> str | None:
        """A URL that gives anyone the bytes for `seconds`; None where the app must serve them."""
        return None


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"key {key!r} leaves the storage folder")
        return path

    def save(self, key: str, stream: IO[bytes]) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: a failure midway leaves no half file under the key.
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
        return target.stat().st_size

    def save_path(self, key: str, source: str | os.PathLike[str]) -> int:
        """Store a file that is already on disk: a hard link when it can be (no copy at all), else a
        streamed copy."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
            return target.stat().st_size
        except OSError:
            with open(source, "rb") as stream:
                return self.save(key, stream)

    def open(self, key: str) -> IO[bytes]:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise StorageError(f"no file {key!r}")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(str(path.relative_to(self.root)) for path in self.root.rglob("*")
                      if path.is_file() and not path.name.startswith(".upload-")
                      and str(path.relative_to(self.root)).startswith(prefix))


class S3Storage(Storage):
    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or "us-east-1",
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"}),
        )

    def save(self, key: str, stream: IO[bytes]) -> int:
        from boto3.s3.transfer import TransferConfig

        # Multipart upload in 8 MB parts, read from the stream as it goes.
        config = TransferConfig(multipart_threshold=8 * CHUNK, multipart_chunksize=8 * CHUNK, max_concurrency=2)
        try:
            self.client.upload_fileobj(stream, self.bucket, key, Config=config)
        except Exception as error:
            raise StorageError(f"could not store {key}: {error}") from error
        return self.size(key)

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self.client.exceptions.NoSuchKey:
            raise StorageError(f"no file {key!r}")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError:
            return False

    def size(self, key: str) -> int:
        return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(item["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                      for item in page.get("Contents", []))

    def signed_url(self, key: str, seconds: int) -> str | None:
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                  ExpiresIn=seconds)


def storage_from_config(config: Mapping[str, Any], instance_path: str) -> Storage:
    if config.get("STORAGE_BACKEND", "local") == "s3":
        return S3Storage(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"), config.get("S3_REGION"),
                         config.get("S3_ACCESS_KEY_ID"), config.get("S3_SECRET_ACCESS_KEY"))
    return LocalStorage(config.get("MEDIA_FOLDER") or Path(instance_path) / "media")


def storage() -> Storage:
    """The app's storage, made once per app."""
    extensions = current_app.extensions
    if "studio_storage" not in extensions:
        extensions["studio_storage"] = storage_from_config(current_app.config, current_app.instance_path)
    return extensions["studio_storage"]
