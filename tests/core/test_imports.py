"""The import direction of docs/ARCHITECTURE.md, checked by reading every module's imports,
at module level and inside functions alike.

- hotline/ imports no feature package anywhere, except create_app's _register_features, which
  calls each feature's init_app;
- between features one direction only: intake -> routing -> followup;
- features use only the core's public modules, never its pages or its API views (the console,
  admin, dashboard, public status page, Open311, dev tools, /api/v1 views): access rules live in
  hotline.access, the API toolkit in hotline.rest, shared forms in hotline.forms;
- pure modules import neither Flask nor the database session.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["hotline", "intake", "routing", "followup"]
# A package may import the packages listed for it (and itself), never those to its left.
ALLOWED = {
    "hotline": {"hotline", "config"},
    "intake": {"hotline", "config", "intake", "routing", "followup"},
    "routing": {"hotline", "config", "routing", "followup"},
    "followup": {"hotline", "config", "followup"},
}
PURE = ["hotline/phones.py", "hotline/timeutil.py", "hotline/opening_hours.py", "hotline/sms_texts.py",
        "hotline/dashboard/metrics.py"]
PURE += ["followup/visit_times.py"]
PURE += ["followup/survey_parse.py"]
PURE += ["hotline/dashboard/case_metrics.py"]
PURE += ["routing/divisions.py"]
IMPURE_ROOTS = {"flask", "flask_sqlalchemy", "flask_login", "hotline.extensions", "hotline.models"}


def module_level_imports(path):
    """Top-level names imported outside any function or class body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(sub, ast.Import):
                names += [alias.name for alias in sub.names]
            elif isinstance(sub, ast.ImportFrom) and sub.level == 0 and sub.module:
                names.append(sub.module)
    return names


def all_imports(path):
    """(dotted name, enclosing function or None) of every import in the file, wherever it is;
    `from hotline import access` counts as hotline.access."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Import):
                found.extend((alias.name, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, function))
                found.extend((f"{child.module}.{alias.name}", function) for alias in child.names)
            visit(child, inner)

    visit(tree, None)
    return found


def project_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize(("package", "path"), list(project_sources()), ids=lambda v: str(v))
def test_imports_follow_the_direction(package, path):
    wrong = [
        name for name in module_level_imports(path)
        if name.split(".")[0] in PACKAGES and name.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == [], f"{path.relative_to(ROOT)} imports {wrong} against the direction"


# The one place the core names the features: create_app's call of their init_app.
FEATURE_ENTRY = ("hotline/__init__.py", "_register_features")


@pytest.mark.parametrize(("package", "path"), list(project_sources()), ids=lambda v: str(v))
def test_no_import_against_the_direction_even_inside_a_function(package, path):
    relpath = str(path.relative_to(ROOT))
    wrong = sorted({
        name for name, function in all_imports(path)
        if name.split(".")[0] in PACKAGES and name.split(".")[0] not in ALLOWED[package]
        and (relpath, function) != FEATURE_ENTRY
    })
    assert wrong == [], f"{relpath} imports {wrong} against the direction"


# The core's user-facing packages: a feature importing them would make access policy or API
# behaviour depend on a page.
CORE_PRIVATE = ("hotline.console", "hotline.api", "hotline.admin", "hotline.dashboard", "hotline.public",
                "hotline.open311", "hotline.devtools")


@pytest.mark.parametrize(("package", "path"), [s for s in project_sources() if s[0] != "hotline"],
                         ids=lambda v: str(v))
def test_features_use_only_the_cores_public_modules(package, path):
    private = sorted({
        name for name, _function in all_imports(path)
        if any(name == p or name.startswith(p + ".") for p in CORE_PRIVATE)
    })
    assert private == [], f"{path.relative_to(ROOT)} imports the core's private {private}"


def test_the_import_reader_sees_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def seed():\n    from intake import rules\n    import routing.services\n")
    assert ("intake.rules", "seed") in all_imports(probe) and ("routing.services", "seed") in all_imports(probe)


@pytest.mark.parametrize("relpath", PURE)
def test_pure_modules_stay_pure(relpath):
    path = ROOT / relpath
    if not path.exists():
        pytest.skip(f"{relpath} not written yet")
    impure = [
        name for name in module_level_imports(path)
        if any(name == root or name.startswith(root + ".") for root in IMPURE_ROOTS)
    ]
    assert impure == [], f"{relpath} is meant to be pure but imports {impure}"
