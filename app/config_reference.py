"""The environment variable reference (docs/environment.md), generated from ``config.py``.

Reads ``config.py``'s source: each ``env.get("NAME")`` in ``Config.from_env`` names a
variable, the ``Config`` field it sets gives the default and the ``#:`` comment above the
field its meaning. A test keeps docs/environment.md equal to ``render()``, so adding a
setting without documenting it fails; regenerate with::

    .venv/bin/python -m app.config_reference > docs/environment.md
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = Path(__file__).resolve().parent.parent / "config.py"

#: read outside ``from_env`` (module level) or with a meaning of their own
EXTRA = {
    "RELAIS_INSTANCE_DIR": ("./instance", "where the SQLite file, the development secret key, "
                                          "the demo login, uploads and backups live by default"),
}


@dataclass(frozen=True)
class Setting:
    variable: str
    field: str
    default: str
    meaning: str


def _comments(lines: list[str], lineno: int) -> str:
    """The ``#:`` comment block right above line ``lineno`` (1-based)."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#:"):
        found.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    return " ".join(found)


def _env_names(node: ast.AST) -> list[str]:
    names = []
    for call in ast.walk(node):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "get" and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "env" and call.args
                and isinstance(call.args[0], ast.Constant)):
            names.append(call.args[0].value)
    return names


def settings(source: str | None = None) -> list[Setting]:
    source = source if source is not None else CONFIG_FILE.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    config = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Config")
    fields: dict[str, tuple[str, str]] = {}
    previous: tuple[int, str] = (-1, "")  # (last line, comment) of the field before
    for stmt in config.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            default = ast.get_source_segment(source, stmt.value) if stmt.value else ""
            comment = _comments(lines, stmt.lineno)
            if not comment and previous[0] == stmt.lineno - 1:
                comment = previous[1]  # one comment above a block of related fields
            fields[stmt.target.id] = (default or "", comment)
            previous = (stmt.end_lineno or stmt.lineno, comment)
    from_env = next(n for n in config.body
                    if isinstance(n, ast.FunctionDef) and n.name == "from_env")
    # locals that hold an environment value (mode = env.get("RELAIS_ENV", ...), …)
    local_env: dict[str, list[str]] = {}
    for stmt in ast.walk(from_env):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name):
            local_env.setdefault(stmt.targets[0].id, []).extend(_env_names(stmt.value))
    found: dict[str, Setting] = {}
    for call in ast.walk(from_env):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "cls"):
            continue
        for keyword in call.keywords:
            names = _env_names(keyword.value)
            for name in (n.id for n in ast.walk(keyword.value) if isinstance(n, ast.Name)):
                names += local_env.get(name, [])
            default, meaning = fields.get(keyword.arg, ("", ""))
            for variable in names:
                if variable not in found:
                    found[variable] = Setting(variable, keyword.arg, default, meaning)
    for variable, (default, meaning) in EXTRA.items():
        found.setdefault(variable, Setting(variable, "", repr(default), meaning))
    return sorted(found.values(), key=lambda s: s.variable)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    rows = [f"| `{s.variable}` | {'`' + _cell(s.default) + '`' if s.default else ''} | "
            f"{_cell(s.meaning)} |" for s in settings()]
    return "\n".join([
        "# Environment variables",
        "",
        "Generated from `config.py` by `.venv/bin/python -m app.config_reference > "
        "docs/environment.md`",
        "(a test fails when it is out of date). The default is the value in `config.py`;",
        "`\"\"` means unset. [configuration.md](configuration.md) explains the settings in",
        "context.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
        *rows,
        "",
    ])


if __name__ == "__main__":
    print(render(), end="")
