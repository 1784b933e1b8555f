"""Static audit: no SQL text is built from strings in ``dagster_project/`` and ``benchmarks/``.

Every call of ``.execute(``, ``.executemany(``, ``.copy(`` and ``sql.SQL(`` is found in the syntax
tree, and its SQL argument is checked for string building: an f-string with a placeholder, ``%``
formatting, ``+`` concatenation or ``str.format``. The argument is followed one step back when
it is a local name assigned in the same function (``query = f"..."; conn.execute(query)``), and
one step across a call when a function of the module passes its own parameter on as the SQL
(``def time_query(conn, sql): conn.execute(sql)`` makes ``time_query(conn, f"...")`` a hit).

Values belong in bound parameters (``%s``/``%(name)s``), identifiers in ``psycopg.sql.Identifier``.
The few places below interpolate code constants or names read from the catalog; each one was read
and is allowed with its reason. Anything else, and any change in the number of hits of an allowed
place, fails: a new hit must be rewritten or reviewed and added here.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDITED = ("dagster_project", "benchmarks")
SQL_METHODS = frozenset({"execute", "executemany", "copy"})
SQL_CONSTRUCTORS = frozenset({"SQL"})

# (file, enclosing function) -> (hits, reason). Reviewed by reading each place.
ALLOWED: dict[tuple[str, str], tuple[int, str]] = {
    ("dagster_project/cli.py", "_print_summary"): (
        1,
        "relation names read from pg_class (schema::regnamespace || '.' || relname), no user value",
    ),
    ("dagster_project/ingest/loader.py", "upsert_content"): (
        1,
        "column lists from the constants CONTENT_COLUMNS / METADATA_FIELDS; the day is a bound parameter",
    ),
    ("benchmarks/incremental.py", "dashboard_reads"): (
        1,
        "view names are the keys of the module constant DASHBOARD_READS",
    ),
}


@dataclass(frozen=True)
class Hit:
    path: str
    function: str
    line: int
    call: str
    how: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}: {self.call}({self.how}) {self.text[:120]!r}"


def string_building(node: ast.expr) -> str | None:
    """How ``node`` builds a string at run time, or None for a constant/composed value."""
    if isinstance(node, ast.JoinedStr):
        return "f-string" if any(isinstance(v, ast.FormattedValue) for v in node.values) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "%-format" if _may_be_text(node.left) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return "+concat" if _may_be_text(node.left) or _may_be_text(node.right) else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant | ast.JoinedStr)  # not sql.SQL(...).format
    ):
        return "str.format"
    return None


def _may_be_text(node: ast.expr) -> bool:
    """Anything but a number literal may be text (names are not resolved)."""
    return not (isinstance(node, ast.Constant) and not isinstance(node.value, str))


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _sql_argument(call: ast.Call, keyword: str) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class _Module:
    """The hits of one source file."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.tree = ast.parse(source, filename=path)
        self.functions = [n for n in ast.walk(self.tree) if isinstance(n, _FUNCTIONS)]
        # Each node's innermost enclosing function: outer functions start first, inner ones
        # overwrite their nodes.
        self.owner: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for function in sorted(self.functions, key=lambda f: (f.lineno, f.col_offset)):
            for node in ast.walk(function):
                self.owner[id(node)] = function

    def _function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return self.owner.get(id(node))

    def _assignments(self, scope: ast.AST, name: str) -> list[ast.expr]:
        values = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
            elif (
                isinstance(node, ast.AnnAssign | ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
                and node.value is not None
            ):
                values.append(node.value)
        return values

    def _how(self, argument: ast.expr, scope: ast.AST) -> tuple[str, ast.expr] | None:
        how = string_building(argument)
        if how:
            return how, argument
        if isinstance(argument, ast.Name):
            for value in self._assignments(scope, argument.id):
                how = string_building(value)
                if how:
                    return f"{how} via {argument.id}", value
        return None

    def _sinks(self) -> dict[str, int]:
        """Functions of this module that pass one of their parameters on as SQL: name -> position."""
        sinks: dict[str, int] = {}
        for function in self.functions:
            params = [a.arg for a in function.args.args]
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                name = _call_name(node)
                if name not in SQL_METHODS | SQL_CONSTRUCTORS:
                    continue
                argument = _sql_argument(node, "query")
                if isinstance(argument, ast.Name) and argument.id in params:
                    sinks[function.name] = params.index(argument.id)
        return sinks

    def hits(self) -> list[Hit]:
        sinks = self._sinks()
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name in SQL_METHODS | SQL_CONSTRUCTORS:
                argument = _sql_argument(node, "query")
            elif name in sinks and isinstance(node.func, ast.Name):
                position = sinks[name]
                argument = node.args[position] if len(node.args) > position else None
            else:
                continue
            function = self._function_of(node)
            if argument is None:
                continue
            how = self._how(argument, function or self.tree)
            if how:
                found.append(
                    Hit(
                        self.path,
                        function.name if function else "<module>",
                        node.lineno,
                        name or "?",
                        how[0],
                        ast.unparse(how[1]),
                    )
                )
        return found


def audit(roots: tuple[str, ...] = AUDITED) -> list[Hit]:
    hits: list[Hit] = []
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            hits.extend(_Module(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")).hits())
    return hits


def _hits_of(source: str) -> list[str]:
    return [h.how for h in _Module("example.py", source).hits()]


# --- the detector itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(c, v):\n    c.execute(f'select * from t where x = {v}')", ["f-string"]),
        ("def f(c, v):\n    c.execute('select * from t where x = %s' % v)", ["%-format"]),
        ("def f(c, v):\n    c.execute('select * from t where x = ' + v)", ["+concat"]),
        ("def f(c, v):\n    c.executemany('insert into {} values (%s)'.format(v), [])", ["str.format"]),
        ("def f(c, v):\n    q = f'select {v}'\n    c.execute(q)", ["f-string via q"]),
        (
            "def f(c, v):\n    with c.cursor() as k, k.copy('copy ' + v + ' from stdin'):\n        pass",
            ["+concat"],
        ),
        ("def f(v):\n    return sql.SQL(f'select {v}')", ["f-string"]),
        ("def run(c, q):\n    c.execute(q)\ndef g(c, v):\n    run(c, f'select {v}')", ["f-string"]),
        # Parameterised and composed SQL is fine.
        ("def f(c, v):\n    c.execute('select * from t where x = %s', (v,))", []),
        ("def f(c, v):\n    c.execute(sql.SQL('select * from {}').format(sql.Identifier(v)))", []),
        ("def f(c):\n    c.execute('select 1 ' 'from t')", []),
        ("def f(c):\n    c.execute(f'select 1')", []),
        ("def f(c, v):\n    c.execute(sql.SQL('select {}').format(sql.Literal(v)))", []),
        ("def f(c, v):\n    c.execute('select %s', (v,))\n    x = 1 + 2", []),
    ],
)
def test_detector_finds_string_built_sql(source, expected):
    assert _hits_of(source) == expected


# --- the project --------------------------------------------------------------------------------


def test_sql_is_parameterised_outside_the_reviewed_places():
    hits = audit()
    counts = Counter((h.path, h.function) for h in hits)
    unexpected = [str(h) for h in hits if (h.path, h.function) not in ALLOWED]
    changed = {
        place: (counts.get(place, 0), expected)
        for place, (expected, _reason) in ALLOWED.items()
        if counts.get(place, 0) != expected
    }
    assert not unexpected, (
        "string-built SQL (bind values, compose identifiers with psycopg.sql):\n" + "\n".join(unexpected)
    )
    assert not changed, (
        f"allowed places whose hits changed (found, reviewed): {changed}; review a new hit, and lower or "
        "remove the entry of a place that was fixed"
    )


def test_every_allowed_place_has_a_reason():
    assert all(reason.strip() and count > 0 for count, reason in ALLOWED.values())
