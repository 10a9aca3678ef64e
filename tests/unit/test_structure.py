"""The code's shape, held in place: the layers import downwards only, modules stay small, and one
module speaks htmx's request headers."""
import ast
import re
from pathlib import Path

import pytest

STUDIO = Path(__file__).resolve().parents[2] / "studio"
PYTHON_FILES = sorted(STUDIO.rglob("*.py"))


def source(path):
    return path.read_text(encoding="utf-8")


def test_the_platform_adapters_import_nothing_above_them():
    upward = re.compile(r"^\s*(from|import)\s+studio\.(publishing|library|connections|portal|community|web|urls)\b", re.M)
    offenders = [f"{path.relative_to(STUDIO)}: {match.group(0).strip()}"
                 for path in (STUDIO / "platforms").rglob("*.py") for match in upward.finditer(source(path))]
    assert offenders == []


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda path: str(path.relative_to(STUDIO)))
def test_no_module_is_longer_than_500_lines(path):
    assert len(source(path).splitlines()) <= 500


def test_only_web_reads_htmx_request_headers():
    # A request header is read through `request.headers` (get, [], in); response headers are set
    # with `response.headers[...] =`, which stays allowed everywhere.
    reads = re.compile(r"request\.headers(\.get\(|\[)\s*[\"']HX-", re.I)
    offenders = [str(path.relative_to(STUDIO)) for path in PYTHON_FILES
                 if path.name != "web.py" and reads.search(source(path))]
    assert offenders == []


def answers_requests(path):
    """Views, the app factory, web.py itself and the access rules (blueprints and their request
    hooks) answer the browser; everything else does not."""
    return (path.name.endswith("views.py") or "views" in path.parts
            or path in (STUDIO / "web.py", STUDIO / "__init__.py", STUDIO / "security" / "access.py"))


def test_services_build_links_without_the_web_layer():
    offenders = [str(path.relative_to(STUDIO)) for path in PYTHON_FILES
                 if not answers_requests(path) and re.search(r"^\s*from studio\.web import", source(path), re.M)]
    assert offenders == []


def imported_packages(path):
    """The studio packages a module imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(source(path))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import) and id(node) not in typing_only:
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            found |= {name.split(".")[1] for name in names if name.startswith("studio.")}
    return found


def test_no_two_packages_below_the_views_import_each_other():
    """Services, models, adapters and jobs form no cycle between packages; only pages (views, the
    app factory, the request layer) may draw on several features at once."""
    package_of = {path: path.relative_to(STUDIO).parts[0] for path in PYTHON_FILES if len(path.relative_to(STUDIO).parts) > 1}
    edges = {}
    for path, package in package_of.items():
        if answers_requests(path):
            continue
        for other in imported_packages(path) - {package}:
            edges.setdefault(package, set()).add(other)
    cycles = sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets if a in edges.get(b, set())})
    assert cycles == []


def test_the_remembered_template_links_know_every_url_default(app):
    """Templates' url_for is remembered by what the url_defaults read (web.url_defaults_state): a
    url_default added without adding what it reads there would hand one workspace another's links."""
    known = {"fill_workspace_slug", "keep_space", "keep_client_id"}
    found = {function.__name__ for functions in app.url_default_functions.values() for function in functions}
    assert found == known, "add what the new url_default reads to studio/web.py url_defaults_state"
