"""The two storage backends pass the same tests: a local folder, and S3 through boto3 against an
S3-compatible server (moto's server mode) running on loopback."""
import io
import socket

import boto3
import pytest
import requests

from studio.library.storage import LocalStorage, S3Storage, StorageError


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


S3_KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key", "region": "us-east-1"}


def new_bucket(endpoint, name):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test-access-key", aws_secret_access_key="test-secret-key")
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = new_bucket(endpoint, f"studio-{request.node.name.split('[')[0][-20:].replace('_', '-')}")
    return S3Storage(bucket, endpoint_url=endpoint, **S3_KEYS)


def test_save_open_size_and_delete(backend):
    data = b"0123456789" * 300_000  # 3 MB: more than one chunk
    assert backend.save("7/video.mp4", io.BytesIO(data)) == len(data)
    assert backend.exists("7/video.mp4") and backend.size("7/video.mp4") == len(data)
    with backend.open("7/video.mp4") as stored:
        assert stored.read() == data
    backend.delete("7/video.mp4")
    assert not backend.exists("7/video.mp4")


def test_keys_are_listed_by_prefix(backend):
    for key in ("1/a.mp4", "1/thumbs/a.jpg", "2/b.png"):
        backend.save(key, io.BytesIO(b"x"))
    assert backend.keys("1/") == ["1/a.mp4", "1/thumbs/a.jpg"]
    assert backend.keys() == ["1/a.mp4", "1/thumbs/a.jpg", "2/b.png"]


def test_a_missing_file_is_a_storage_error(backend):
    with pytest.raises(StorageError):
        backend.open("nowhere/none.mp4")


def test_a_failed_write_leaves_nothing_under_the_key(backend):
    class Breaks(io.RawIOBase):
        def __init__(self):
            self.sent = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.sent > 9 * 1024 * 1024:
                raise ConnectionResetError("the client went away")
            buffer[: len(buffer)] = b"x" * len(buffer)
            self.sent += len(buffer)
            return len(buffer)

    with pytest.raises((ConnectionResetError, StorageError)):
        backend.save("3/broken.mp4", io.BufferedReader(Breaks()))
    assert not backend.exists("3/broken.mp4") and backend.keys("3/") == []


def test_signed_urls(backend):
    backend.save("4/open.png", io.BytesIO(b"picture"))
    url = backend.signed_url("4/open.png", 60)
    if isinstance(backend, LocalStorage):
        assert url is None, "local files are served by the app's own signed links"
    else:
        # The object store checks the signature (moto, like S3, reads this presigned URL).
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
        assert requests.get(url, timeout=10).content == b"picture"


def test_the_library_runs_on_s3(app, s3_endpoint, tmp_path):
    """Upload, probe and thumbnail with every byte in the object store."""
    from studio.library import service
    from studio.library.models import MediaAsset
    from studio.library.storage import storage
    from tests.factories import make_workspace, owner_of
    from tests.media import make_video

    bucket = new_bucket(s3_endpoint, "studio-library")
    app.config.update(STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint, S3_REGION="us-east-1",
                      S3_ACCESS_KEY_ID="test-access-key", S3_SECRET_ACCESS_KEY="test-secret-key")
    app.extensions.pop("studio_storage", None)
    workspace = make_workspace(name="Cloud Kitchen")
    client = app.test_client().log_in_as(owner_of(workspace))
    video = make_video(tmp_path / "cloud.mp4", seconds=2)
    response = client.submit(f"/w/{workspace.slug}/library/upload", {"files": [(io.BytesIO(video.read_bytes()), "cloud.mp4")]},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    service.process_pending()
    asset = MediaAsset.query.one()
    assert asset.status == "ready" and asset.aspect_ratio == "9:16"
    assert sorted(storage().keys()) == sorted([asset.storage_key, asset.thumbnail_key])
    assert client.get(f"/w/{workspace.slug}/library/{asset.id}/file").data == video.read_bytes()
    with app.test_request_context():
        link = service.signed_file_url(asset)
    assert link.startswith(s3_endpoint) and requests.get(link, timeout=10).content == video.read_bytes()
