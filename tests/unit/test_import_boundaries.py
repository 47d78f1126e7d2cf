"""Which way imports point (docs/ARCHITECTURE.md), read from the source files' syntax trees:
nothing is imported, so a module whose import has side effects can't hide a violation.

- production packages (bot, handlers, domain, storage, web) never import demo/ or sandbox/;
- domain/ imports no framework and no outer layer;
- the adapters (handlers/, web/) never import storage/, tortoise or bot/ (not even for a
  type: web/ declares what it needs from Services as a Protocol, web/services.py);
- aiogram's private attributes are touched only in bot/runtime/aiogram_private.py and
  bot/runtime/lazy_aiogram.py (where tests guard them against aiogram upgrades).

`handlers/catalog/inline.py` imports redis for its inline-answer cache. That is allowed: the
rule keeps the adapters off the shop's storage (the Tortoise models and repositories behind the
domain's Protocols), and a cache of rendered answers is the adapter's own, shared by nothing.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "domain", "storage", "web")
PRODUCTION = [name for name in PACKAGES if (ROOT / name).is_dir()]
NOT_SHIPPED = ("demo", "sandbox")
FRAMEWORKS = ("aiogram", "aiohttp", "tortoise", "redis")
PRIVATE_OK = {ROOT / "bot/runtime/aiogram_private.py", ROOT / "bot/runtime/lazy_aiogram.py"}
# Private attributes of aiogram objects the project has needed, whatever the object's name.
KNOWN_PRIVATE = {"_handler", "_parent_router", "_markup"}
NOT_OURS = {"build", "dist", "node_modules", "kiosk.egg-info", "data"}


def python_files(*packages: str) -> list[Path]:
    files: list[Path] = []
    for package in packages:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def project_files() -> list[Path]:
    """Every Python file of the project (not the virtualenv's, not build output)."""
    files = sorted(ROOT.glob("*.py"))
    for entry in sorted(ROOT.iterdir()):
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in NOT_OURS:
            files += sorted(entry.rglob("*.py"))
    return files


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _absolute(path: Path, module: str | None, level: int, root: Path) -> str:
    if not level:
        return module or ""
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    package = package[: len(package) - (level - 1)]
    return ".".join([*package, *([module] if module else [])])


def imported(
    path: Path, top_level_only: bool = False, root: Path = ROOT
) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file: `import a.b` gives a.b, `from a import b`
    gives a and a.b (b may be a module), relative imports made absolute, and
    `importlib.import_module("a")` / `__import__("a")` with a literal name give a."""
    nodes = tree(path).body if top_level_only else ast.walk(tree(path))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(path, node.module, node.level, root)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                yield node.lineno, str(first.value)


def within(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported(path)
        if within(module, forbidden)
    ]


def test_the_packages_are_there() -> None:
    assert {"bot", "handlers", "domain", "storage"} <= set(PRODUCTION)
    for package in PRODUCTION:
        assert python_files(package), package


def test_production_code_never_imports_the_demo_or_the_emulator() -> None:
    assert violations(python_files(*PRODUCTION), NOT_SHIPPED) == []


def test_main_imports_the_demo_only_for_the_demo_command() -> None:
    """main.py ships with the bot: `demo` is imported inside the demo branch, not at load."""
    main = ROOT / "main.py"
    assert [m for _, m in imported(main, top_level_only=True) if within(m, NOT_SHIPPED)] == []
    assert any(within(m, ("demo",)) for _, m in imported(main))  # still reachable from a checkout


def test_domain_imports_no_framework_and_no_outer_layer() -> None:
    outer = (*FRAMEWORKS, "bot", "handlers", "storage", "web", *NOT_SHIPPED)
    assert violations(python_files("domain"), outer) == []


def test_adapters_never_import_storage_tortoise_or_bot() -> None:
    adapters = [name for name in ("handlers", "web") if name in PRODUCTION]
    found = violations(python_files(*adapters), ("storage", "tortoise", "bot"))
    assert found == [], "adapters take what they need from Services, not from storage or bot/"


def test_the_checks_see_imports_of_every_shape(tmp_path: Path) -> None:
    """The reader itself: a rule is only as good as the imports it sees."""
    path = tmp_path / "handlers" / "probe" / "mod.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        "import storage.db\nfrom bot import settings\nfrom ..demo import harness\n"
        "from . import x\nimport importlib\n"
        "def f():\n    import sandbox.api\n    importlib.import_module('tortoise')\n",
        encoding="utf-8",
    )
    modules = {m for _, m in imported(path, root=tmp_path)}
    top = {m for _, m in imported(path, top_level_only=True, root=tmp_path)}
    expected = {"storage.db", "bot.settings", "handlers.demo.harness", "handlers.probe.x"}
    assert expected | {"sandbox.api", "tortoise"} <= modules
    assert "sandbox.api" not in top and "storage.db" in top
    assert within("bot.settings", ("bot.settings",)) and not within("bots", ("bot",))


# ---------------------------------------------------------------- aiogram's private parts
def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined_names(files: list[Path]) -> set[str]:
    """Private names a code base defines itself: `self._x = ...`, methods and class or module
    attributes named `_x`."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {name for name in names if _private(name)}


# `self._x = ...` / `cls._x = ...`, `def _x`, `class _X`, and `_x = ...` at a line's start
_DEFINES_PRIVATE = re.compile(
    r"\b(?:self|cls)\.(_\w+)\s*(?::[^=\n]+)?=(?!=)"
    r"|\b(?:def|class) (_\w+)"
    r"|^[ \t]*(_\w+)\s*(?::[^=\n]+)?=(?!=)",
    re.MULTILINE,
)


@cache
def aiogram_private_names() -> frozenset[str]:
    """Private attributes and methods aiogram's own source defines (its text is read, not
    imported; a pattern rather than syntax trees: aiogram has 760 modules)."""
    spec = importlib.util.find_spec("aiogram")
    assert spec is not None and spec.origin is not None
    names: set[str] = set()
    for path in Path(spec.origin).parent.rglob("*.py"):
        for groups in _DEFINES_PRIVATE.findall(path.read_text(encoding="utf-8")):
            names |= {name for name in groups if _private(name)}
    return frozenset(names)


def _aiogram_names(module: ast.Module) -> set[str]:
    """Names the file binds to something imported from aiogram."""
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and within(node.module or "", ("aiogram",)):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if within(alias.name, ("aiogram",))
            }
    return names


def private_uses(path: Path, ours: set[str], root: Path = ROOT) -> Iterator[str]:
    """Where the file touches an aiogram private: a KNOWN_PRIVATE attribute of anything; an
    attribute aiogram defines privately and the project never does (`dp._process_update`);
    on `self`, a private of the aiogram class it extends, read or overridden; a private name
    imported from aiogram."""
    module = tree(path)
    aiogram = aiogram_private_names()
    from_aiogram = _aiogram_names(module)
    where = path.relative_to(root)
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and within(node.module or "", ("aiogram",)):
            parts = [*(node.module or "").split("."), *(a.name for a in node.names)]
            if any(_private(part) for part in parts):
                yield f"{where}:{node.lineno} imports a private name of {node.module}"
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
        if bases & from_aiogram:  # a subclass of an aiogram class: its privates are aiogram's
            for item in ast.walk(node):
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    item.name in aiogram
                ):
                    yield f"{where}:{item.lineno} overrides aiogram's {item.name}"
                if isinstance(item, ast.Attribute) and item.attr in aiogram:
                    yield f"{where}:{item.lineno} uses aiogram's .{item.attr}"
    for node in ast.walk(module):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        if node.attr in KNOWN_PRIVATE or (
            not on_self and node.attr in aiogram and node.attr not in ours
        ):
            yield f"{where}:{node.lineno} uses .{node.attr}"


def test_aiogram_privates_are_touched_in_one_place_only() -> None:
    files = project_files()
    ours = _defined_names([path for path in files if path not in PRIVATE_OK]) - KNOWN_PRIVATE
    found = [use for path in files if path not in PRIVATE_OK for use in private_uses(path, ours)]
    assert found == [], "move it to bot/runtime/aiogram_private.py (guarded by its test)"
    assert aiogram_private_names() >= {"_parent_router", "_process_update", "_markup"}


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("def f(kb):\n    return kb._markup\n", True),
        ("def f(router):\n    router._parent_router = None\n", True),
        ("def f(dp):\n    dp._process_update = 1\n", True),
        (
            "from aiogram.webhook.aiohttp_server import SimpleRequestHandler as S\n"
            "class H(S):\n    async def _handle_request(self, bot, request): ...\n",
            True,
        ),
        (
            "from aiogram.webhook.aiohttp_server import SimpleRequestHandler\n"
            "class H(SimpleRequestHandler):\n"
            "    def f(self):\n        return self._build_response_writer(None, None)\n",
            True,
        ),
        ("from aiogram.utils.keyboard import _private_helper\n", True),
        ("class Mine:\n    def f(self):\n        return self._markup_of_mine\n", False),
        ("def f(x):\n    return x._our_own\n", False),
    ],
)
def test_private_uses_are_detected(tmp_path: Path, source: str, caught: bool) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    found = list(private_uses(probe, {"_our_own"}, root=tmp_path))
    assert bool(found) is caught, found
