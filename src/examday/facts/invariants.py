"""Data-integrity invariants: one .sql file each in checks/sql/, a query returning the violating rows.

A file opens with comment lines, read here:

    -- What the invariant forbids (the first line: the item's description).
    -- guaranteed-by: foreign key session_answers.session_id -> test_sessions
    -- guaranteed-by: not null session_answers.session_id
    -- guaranteed-by: check test_sessions status <> 'SUBMITTED' OR submitted_at IS NOT NULL
    -- guaranteed-by: none (why nothing in the schema forbids it)
    -- not-covered: what the named constraints leave to the query alone

`guaranteed-by` names the schema rules that make the violation impossible on
the platform docs/platform.md describes; `not-covered` marks the guarantee partial
(the CHECK above says nothing about EXPIRED sessions). Operators add an
invariant by adding a file.

Whether a named rule exists is read from pg_catalog on the target, so the
evidence tells "guaranteed by constraint X" from "the schema has drifted".
The query always runs and its rows alone decide: a constraint can be
bypassed (session_replication_role = replica skips foreign keys, disabled
triggers, a restore that added it NOT VALID), and a check that trusted it
would miss exactly the corruption it exists to find.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from examday.checklist_files import sql_dir
from examday.errors import ExamdayError
from examday.probes.postgres_reads import QueryResult

ROWS_SHOWN = 20

_HEADER_KEY = re.compile(r"--\s*(guaranteed-by|not-covered)\s*:\s*(.*)$", re.IGNORECASE)
_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_FOREIGN_KEY = re.compile(rf"foreign key ({_IDENT})\.({_IDENT}(?:\s*,\s*{_IDENT})*)\s*->\s*({_IDENT})$",
                          re.IGNORECASE)
_NOT_NULL = re.compile(rf"not null ({_IDENT})\.({_IDENT})$", re.IGNORECASE)
_CHECK = re.compile(rf"check ({_IDENT})\s+(.+)$", re.IGNORECASE)
_NONE = re.compile(r"none\b\s*(.*)$", re.IGNORECASE)


class Queries(Protocol):
    """What the facts need of the database: the read-only probe's `query`."""

    def query(self, statement: Any, params: Any = None, limit: int | None = None) -> QueryResult: ...


class InvariantFileError(ExamdayError, ValueError):
    """A checks/sql file whose header examday cannot read: stops the run before any item."""


# -- what a header names -----------------------------------------------------------------------

@dataclass(frozen=True)
class ForeignKey:
    table: str
    columns: tuple[str, ...]
    references: str

    def __str__(self) -> str:
        return f"foreign key {self.table}.{', '.join(self.columns)} -> {self.references}"


class _SpelledAsInHeader:
    """A guarantee prints as the header line that names it (its SPELLING, filled from its fields)."""
    SPELLING: ClassVar[str]

    def __str__(self) -> str:
        return self.SPELLING.format(**vars(self))


@dataclass(frozen=True)
class NotNull(_SpelledAsInHeader):
    SPELLING: ClassVar[str] = "not null {table}.{column}"
    table: str
    column: str


@dataclass(frozen=True)
class Check(_SpelledAsInHeader):
    SPELLING: ClassVar[str] = "check {table} {expression}"
    table: str
    expression: str


Guarantee = ForeignKey | NotNull | Check


def parse_guarantee(spec: str) -> Guarantee | None:
    """One `guaranteed-by:` value; None for `none (...)`. Raises ValueError on anything else."""
    spec = " ".join(spec.split())
    if _NONE.match(spec):
        return None
    if match := _FOREIGN_KEY.match(spec):
        columns = tuple(c.strip() for c in match.group(2).split(","))
        return ForeignKey(match.group(1), columns, match.group(3))
    if match := _NOT_NULL.match(spec):
        return NotNull(match.group(1), match.group(2))
    if match := _CHECK.match(spec):
        return Check(match.group(1), match.group(2).strip())
    raise ValueError(f"`{spec}` is none of: `foreign key TABLE.COLUMN -> TABLE`, `not null TABLE.COLUMN`, "
                     "`check TABLE EXPRESSION`, `none (why)`")


# -- the invariants ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    sql: str
    guarantees: tuple[Guarantee, ...] = ()
    not_covered: str | None = None  # set: the guarantees are partial, the query alone judges this part

    @classmethod
    def from_file(cls, path: Path) -> "Invariant":
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        first = lines[0] if lines else ""
        description = first[2:].strip() if first.startswith("--") else path.stem.replace("_", " ")
        guarantees: list[Guarantee] = []
        not_covered: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.lstrip().startswith("--"):
                break  # the header is the leading comment block
            match = _HEADER_KEY.match(line.strip())
            if match is None:
                continue
            key, value = match.group(1).lower(), match.group(2).strip()
            if key == "not-covered":
                not_covered.append(value)
                continue
            try:
                guarantee = parse_guarantee(value)
            except ValueError as error:
                raise InvariantFileError(f"{path.name} line {number}: guaranteed-by {error}") from None
            if guarantee is not None:
                guarantees.append(guarantee)
        if not_covered and not guarantees:
            raise InvariantFileError(f"{path.name}: `not-covered` without a guaranteed-by constraint it qualifies")
        return cls(path.stem, description, text, tuple(guarantees), " ".join(not_covered) or None)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted({g.table for g in self.guarantees}))


def load_invariants(directory: Path | None = None) -> list[Invariant]:
    """The invariants in `directory`, else the bundled checklist's sql/ (a checkout's or the wheel's)."""
    return [Invariant.from_file(path) for path in sorted((directory or sql_dir()).glob("*.sql"))]


# -- the target's schema, read from pg_catalog --------------------------------------------------

# Tables resolved as the invariant queries resolve them (unqualified, through the
# search_path): pg_table_is_visible. Column lists as text, not name[], so both
# probes (TCP and psql through docker exec) read them back alike.
CONSTRAINTS_SQL = """
SELECT cl.relname AS table_name, c.conname, c.contype::text,
       coalesce(ref.relname, '') AS references_table,
       array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                             ORDER BY k.ord), ',') AS columns,
       pg_get_constraintdef(c.oid) AS definition, c.convalidated,
       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled = 'D')
           AS triggers_disabled
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
LEFT JOIN pg_class ref ON ref.oid = c.confrelid
WHERE c.contype IN ('f', 'c') AND cl.relname = ANY(%(tables)s::text[]) AND pg_table_is_visible(cl.oid)
ORDER BY cl.relname, c.conname
"""

NOT_NULL_SQL = """
SELECT cl.relname AS table_name, a.attname
FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid
WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped
  AND cl.relname = ANY(%(tables)s::text[]) AND pg_table_is_visible(cl.oid)
"""


@dataclass(frozen=True)
class Constraint:
    """One foreign key or CHECK on the target, as pg_catalog has it."""

    table: str
    name: str
    kind: str  # 'f' foreign key, 'c' check
    references: str
    columns: tuple[str, ...]
    definition: str
    validated: bool
    triggers_disabled: bool  # ALTER TABLE ... DISABLE TRIGGER ALL: a foreign key no longer enforced


@dataclass(frozen=True)
class Schema:
    constraints: tuple[Constraint, ...] = ()
    not_null: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (table, column)


def read_schema(postgres: Queries, tables: tuple[str, ...]) -> Schema:
    """The foreign keys, CHECKs and NOT NULL columns of these tables (two pg_catalog reads)."""
    if not tables:
        return Schema()
    params = {"tables": list(tables)}
    constraints = tuple(
        Constraint(table=str(table), name=str(name), kind=str(kind), references=str(references),
                   columns=tuple(c for c in str(columns).split(",") if c), definition=str(definition),
                   validated=bool(validated), triggers_disabled=bool(disabled))
        for table, name, kind, references, columns, definition, validated, disabled
        in postgres.query(CONSTRAINTS_SQL, params).rows)
    not_null = frozenset((str(t), str(c)) for t, c in postgres.query(NOT_NULL_SQL, params).rows)
    return Schema(constraints, not_null)


_CAST = re.compile(r'::\s*(?:"[^"]*"|[A-Za-z_][\w$.]*)(?:\s+(?:varying|precision|with(?:out)?\s+time\s+zone))*'
                   r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])*")
_QUOTED_OR_OTHER = re.compile(r"'(?:[^']|'')*'|[^']+")


def normalized_expression(expression: str) -> str:
    """A CHECK expression reduced so the header's wording meets pg_get_constraintdef's.

    PostgreSQL prints a CHECK back with its own parentheses and casts
    (`CHECK (((status <> 'SUBMITTED'::session_status) OR (submitted_at IS NOT NULL)))`):
    drop the CHECK keyword, casts, parentheses and spaces, and fold case outside
    string literals. Dropping parentheses could equate two groupings of the same
    words; for telling whether a header's constraint is there, that is precise enough.
    """
    text = expression.strip()
    if text[:5].upper() == "CHECK":
        text = text[5:]
    text = re.sub(r"\s+NOT\s+VALID\s*$", "", text, flags=re.IGNORECASE)
    pieces = []
    for piece in _QUOTED_OR_OTHER.findall(text):
        if piece.startswith("'"):
            pieces.append(piece)
        else:
            pieces.append(re.sub(r"[\s()]+", "", _CAST.sub("", piece)).lower())
    return "".join(pieces)


# -- what the constraints say about one invariant ---------------------------------------------

@dataclass(frozen=True)
class GuaranteeFinding:
    """One `guaranteed-by` line, judged against the target."""

    named: str  # the header's words
    enforced: bool  # present, validated, and its triggers enabled
    constraint: str | None  # the target's constraint name, when one matches
    definition: str | None
    message: str


def _find(guarantee: Guarantee, schema: Schema) -> Constraint | None:
    for constraint in schema.constraints:
        if constraint.table != guarantee.table:
            continue
        if isinstance(guarantee, ForeignKey) and constraint.kind == "f" \
                and constraint.columns == guarantee.columns and constraint.references == guarantee.references:
            return constraint
        if isinstance(guarantee, Check) and constraint.kind == "c" \
                and normalized_expression(constraint.definition) == normalized_expression(guarantee.expression):
            return constraint
    return None


def judge_guarantee(guarantee: Guarantee, schema: Schema) -> GuaranteeFinding:
    named = str(guarantee)
    if isinstance(guarantee, NotNull):
        if (guarantee.table, guarantee.column) in schema.not_null:
            return GuaranteeFinding(named, True, None, "NOT NULL",
                                    f"guaranteed by {guarantee.table}.{guarantee.column} NOT NULL")
        return GuaranteeFinding(named, False, None, None,
                                f"the schema has drifted: {guarantee.table}.{guarantee.column} is not NOT NULL "
                                f"on the target, though this check expects it to be; the query's rows decide")
    constraint = _find(guarantee, schema)
    if constraint is None:
        return GuaranteeFinding(named, False, None, None,
                                f"the schema has drifted: the target has no constraint matching `{named}`, "
                                "which this check expects; the query's rows decide")
    described = f"constraint {constraint.name} ({constraint.definition})"
    if not constraint.validated:
        return GuaranteeFinding(named, False, constraint.name, constraint.definition,
                                f"{described} is NOT VALID: rows written before it was added were never checked; "
                                "the query's rows decide")
    if constraint.triggers_disabled:
        return GuaranteeFinding(named, False, constraint.name, constraint.definition,
                                f"{described} exists but its enforcement triggers are disabled "
                                f"(ALTER TABLE {constraint.table} DISABLE TRIGGER): nothing enforces it now; "
                                "the query's rows decide")
    return GuaranteeFinding(named, True, constraint.name, constraint.definition, f"guaranteed by {described}")


@dataclass(frozen=True)
class Guarantees:
    findings: tuple[GuaranteeFinding, ...]
    not_covered: str | None

    @property
    def enforced(self) -> bool:
        """Every named rule is on the target and enforced (the query should then find nothing)."""
        return bool(self.findings) and all(f.enforced for f in self.findings)

    def as_evidence(self) -> list[str]:
        if not self.findings:
            return ["no constraint guarantees this: only the query does"]
        lines = [f.message for f in self.findings]
        if self.not_covered:
            lines.append(f"not covered by those: {self.not_covered}")
        return lines

    def on_violation(self) -> str:
        """What an operator should know when the query found rows anyway ("; ..." or empty)."""
        if self.enforced and not self.not_covered:
            names = ", ".join(f.constraint or f.named for f in self.findings)
            # A validated CHECK cannot be written past; a foreign key can (it is enforced by triggers).
            return (f"; found despite {names}: it was bypassed (writes with session_replication_role = replica "
                    "or with its triggers disabled, e.g. a restore or a replication accident)")
        drifted = [f.message for f in self.findings if not f.enforced]
        return "; " + "; ".join(drifted) if drifted else ""


def judge_guarantees(invariant: Invariant, schema: Schema) -> Guarantees:
    return Guarantees(tuple(judge_guarantee(g, schema) for g in invariant.guarantees), invariant.not_covered)


def guarantees_on(postgres: Queries, invariant: Invariant) -> Guarantees:
    """The invariant's guarantees judged against the target's pg_catalog (no read when it names none)."""
    return judge_guarantees(invariant, read_schema(postgres, invariant.tables))
