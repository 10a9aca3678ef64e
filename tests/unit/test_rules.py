"""Small rules that many pages rely on."""
from datetime import UTC, datetime, timedelta, timezone

import pytest

from studio.accounts.passwords import hash_password, password_matches, password_problem
from studio.accounts.roles import role_at_least
from studio.accounts.service import slugify
from studio.database import UTCDateTime
from studio.web import safe_next_url


@pytest.mark.parametrize("password", ["plum-orbit-harbor-7", "correct horse battery staple", "Tr0ub4dor&3xyz"])
def test_good_passwords_pass(password):
    assert password_problem(password, "someone@example.com", "Some One") is None


def test_a_password_built_from_the_name_is_refused():
    assert password_problem("martinez-2026!", "mm@example.com", "Lu Martinez") == "Do not build the password from your name."


def test_hashes_are_slow_salted_and_verifiable():
    first, second = hash_password("plum-orbit-harbor-7"), hash_password("plum-orbit-harbor-7")
    assert first != second and first.startswith("scrypt:")
    assert password_matches(first, "plum-orbit-harbor-7") and not password_matches(first, "plum-orbit-harbor-8")


@pytest.mark.parametrize("name, slug", [("Northwind Creators", "northwind-creators"), ("Maya's  Café!", "maya-s-cafe"), ("!!!", "workspace")])
def test_slugs(name, slug):
    assert slugify(name) == slug


@pytest.mark.parametrize("target, expected", [
    ("/w/a/members", "/w/a/members"), ("https://evil.example/", "/home"), ("//evil.example", "/home"),
    ("javascript:alert(1)", "/home"), ("", "/home"), (None, "/home"),
])
def test_only_local_paths_are_followed_after_log_in(target, expected):
    assert safe_next_url(target, "/home") == expected


def test_roles_rank_owner_admin_editor_viewer():
    assert role_at_least("owner", "admin") and role_at_least("admin", "editor") and role_at_least("editor", "viewer")
    assert not role_at_least("viewer", "editor") and not role_at_least("admin", "owner")


def test_times_are_stored_as_utc_and_naive_ones_are_refused():
    column = UTCDateTime()
    paris = timezone(timedelta(hours=1))
    stored = column.process_bind_param(datetime(2026, 1, 1, 12, 0, tzinfo=paris), None)
    assert stored == datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert column.process_result_value(datetime(2026, 1, 1, 11, 0), None).tzinfo == UTC
    with pytest.raises(ValueError):
        column.process_bind_param(datetime(2026, 1, 1), None)


def test_platform_fit_names_what_is_wrong_and_skips_uses_for_other_file_types():
    from types import SimpleNamespace

    from studio.platforms.limits import fit_for

    jpeg = SimpleNamespace(kind="image", content_type="image/jpeg", size_bytes=6 * 1024 * 1024, duration_seconds=None,
                           aspect_ratio="3:2", orientation="horizontal")
    fit = {rule.label: problems for rule, problems in fit_for(jpeg)}
    assert "X GIF" not in fit and fit["X image"] == ["larger than 5 MB"] and fit["Instagram image"] == []
    webm = SimpleNamespace(kind="video", content_type="video/webm", size_bytes=1000, duration_seconds=30.0,
                           aspect_ratio="9:16", orientation="vertical")
    fit = {rule.label: problems for rule, problems in fit_for(webm)}
    assert fit["Instagram Reels"] == ["WEBM is not accepted"] and fit["YouTube Shorts"] == []
