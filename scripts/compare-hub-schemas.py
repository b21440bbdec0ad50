#!/usr/bin/env python3
"""Check that the hub's PostgreSQL migrations build the same schema as its SQLite ones.

    scripts/compare-hub-schemas.py POSTGRES_URL [--keep]

POSTGRES_URL is an admin URL of a PostgreSQL cluster (e.g. the one scripts/pg-cluster.sh
prints). The script

  1. applies migrations/hub-sqlite/*.sql in order to an in-memory SQLite database (foreign keys
     on, each file in its own transaction, as the hub's store runs them);
  2. creates a fresh PostgreSQL database and applies migrations/hub-postgres/*.sql to it in
     order, each with `psql -v ON_ERROR_STOP=1 -1 -f`;
  3. compares the two: tables, columns (names, order, mapped types, nullability, defaults),
     primary keys, UNIQUE constraints, foreign keys, CHECK constraints (by the columns and
     values they name), indexes (names, columns, uniqueness, partial predicates), triggers,
     and the rows the migrations inserted;
  4. runs the migrations again on both engines with the same rows put in after 0012 (so the
     data steps of 0013-0019 have something to move; here each PostgreSQL file is sent as one
     simple-protocol query string, as the store's batch execution does) and compares every row;
  5. checks that audit_record refuses UPDATE and DELETE on both, with the same message.

It uses psql through subprocess (no Python driver needed). Exits 0 when nothing differs,
1 with a readable list of differences otherwise. The scratch databases are dropped at the end
unless --keep is given.
"""

import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_DIR = ROOT / "migrations" / "hub-sqlite"
PG_DIR = ROOT / "migrations" / "hub-postgres"

# SQLite's declared types and the only PostgreSQL types they may become.
TYPE_MAP = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision", "BLOB": "bytea"}

# The migration after which step 4 puts its rows in.
FIXTURE_AFTER = "0012_hub_audit.sql"

# Rows written with the old (pre-0013..0019) shapes of the tables, valid on both engines. They
# exercise every data step: notice_issued's rebuild, blob_upload and desk_user's backfills
# (including duplicates INSERT OR IGNORE drops, incomplete blobs, logins that failed, chains of
# no device), office_session.last_seen, queue_ticket and queue_window_state's rebuilds with the
# rows referencing tickets, case_result's rebuild, and ticket_case's backfill.
FIXTURE = """
INSERT INTO device (id, desk_name, desk_code, token_hash, enrolled_at, revoked_at) VALUES
    ('dev1', 'Desk 1', 'W01', 'tok1', '2026-01-01T00:00:00Z', NULL),
    ('dev2', 'Desk 2', 'W02', 'tok2', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    ('dev3', 'Desk 3', 'W03', 'tok3', '2026-01-01T00:00:00Z', NULL);
INSERT INTO enrol_code (code_hash, desk_name, desk_code, created_at, used_at, device_id) VALUES
    ('code1', 'Desk 1', 'W01', '2025-12-31T00:00:00Z', '2026-01-01T00:00:00Z', 'dev1');
INSERT INTO hub_user (name, role, password_hash, created_at) VALUES
    ('ann', 'approver', '$argon2id$x', '2026-01-01T00:00:00Z'),
    ('bob', 'admin', '$argon2id$y', '2026-01-01T00:00:00Z');
INSERT INTO hub_user_domain (name, domain) VALUES ('ann', 'D1');
INSERT INTO office_session (token_hash, name, created_at, expires_at) VALUES
    ('s1', 'ann', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'),
    ('s2', 'bob', '2026-01-04T00:00:00Z', '2026-01-05T00:00:00Z');
INSERT INTO hub_case (id, number, device_id, item_code, scenario_code, bundle_number, state,
        payload, accepted_at, promised_date, updated_at) VALUES
    ('c1', 'N1', 'dev1', 'I1', NULL, NULL, 'accepted', '{"a":1}', '2026-01-02T00:00:00Z', NULL, '2026-01-02T00:00:00Z'),
    ('c2', 'N2', 'dev2', 'I2', 'S1', 'B1', 'accepted', '{}', '2026-01-02T00:00:00Z', '2026-01-20', '2026-01-03T00:00:00Z'),
    ('c3', 'N3', 'dev1', 'I1', NULL, NULL, 'approved', '{}', '2026-01-03T00:00:00Z', NULL, '2026-01-04T00:00:00Z');
INSERT INTO blob (sha256, size, received, complete, updated_at) VALUES
    ('sha-a', 10, 10, 1, '2026-01-02T00:00:01Z'),
    ('sha-b', 20, 5, 0, '2026-01-02T00:00:02Z'),
    ('sha-c', 7, 7, 1, '2026-01-02T00:00:03Z'),
    ('sha-pdf', 99, 99, 1, '2026-01-05T00:00:00Z');
INSERT INTO hub_case_material (case_id, sha256, slot, name, kind, size, pages, material, added_at) VALUES
    ('c1', 'sha-a', 1, 'id.jpg', 'image', 10, 1, 'M1', '2026-01-02T00:00:00Z'),
    ('c1', 'sha-b', NULL, 'form.pdf', 'pdf', 20, 3, NULL, '2026-01-02T00:00:00Z'),
    ('c2', 'sha-a', 1, 'id.jpg', 'image', 10, 1, 'M1', '2026-01-02T00:00:00Z'),
    ('c2', 'sha-c', 2, 'x.jpg', 'image', 7, NULL, NULL, '2026-01-02T00:00:00Z'),
    ('c3', 'sha-a', 1, 'id.jpg', 'image', 10, 1, 'M1', '2026-01-03T00:00:00Z');
INSERT INTO hub_case_event (case_id, kind, payload, at) VALUES
    ('c1', 'case.note', '{}', '2026-01-02T01:00:00Z');
INSERT INTO case_result (case_id, device_id, action, note, by_user, at, file_sha256, file_name, file_size) VALUES
    ('c1', 'dev1', 'open_for_review', NULL, 'ann', '2026-01-04T00:00:00Z', NULL, NULL, NULL),
    ('c3', 'dev1', 'approve', 'ok', 'ann', '2026-01-05T00:00:00Z', 'sha-pdf', 'licence.pdf', 99),
    ('c2', 'dev2', 'return_for_correction', 'redo', 'ann', '2026-01-06T00:00:00Z', NULL, NULL, NULL);
INSERT INTO audit_record (device_id, seq, at, actor, desk, action, object, result, detail,
        prev_hash, hash, received) VALUES
    ('dev1', 1, '2026-01-02T08:00:00Z', 'zhang', 'W01', 'login', '-', 'ok', NULL, 'h0', 'h1', '2026-01-02T09:00:00Z'),
    ('dev1', 2, '2026-01-01T08:00:00Z', 'zhang', 'W01', 'login', '-', 'ok', NULL, 'h1', 'h2', '2026-01-02T09:00:00Z'),
    ('dev1', 3, '2026-01-01T07:00:00Z', 'li', 'W01', 'login', '-', 'denied', NULL, 'h2', 'h3', '2026-01-02T09:00:00Z'),
    ('dev1', 4, '2026-01-01T06:00:00Z', 'zhang', 'W01', 'case.view', 'c1', 'ok', 'x', 'h3', 'h4', '2026-01-02T09:00:00Z'),
    ('dev2', 1, '2026-01-03T08:00:00Z', 'wang', 'W02', 'login', '-', 'ok', NULL, 'h0', 'k1', '2026-01-03T09:00:00Z'),
    ('hub', 1, '2026-01-01T08:00:00Z', 'ann', 'hub', 'login', '-', 'ok', NULL, 'h0', 'u1', '2026-01-01T08:00:00Z');
INSERT INTO audit_anchor (device_id, seq, hash, at) VALUES ('dev1', 4, 'h4', '2026-01-02T09:00:00Z');
INSERT INTO audit_break (device_id, seq, reason, at) VALUES ('dev2', 1, 'edited', '2026-01-03T10:00:00Z');
INSERT INTO notice_issued (op_id, device_id, case_number, item_code, ticket_id, clerk, at, day) VALUES
    ('op1', 'dev1', 'N1', 'I1', 't1', 'zhang', '2026-01-02T02:00:00Z', '2026-01-02'),
    ('op2', 'dev2', 'N2', 'I2', NULL, 'wang', '2026-01-02T03:00:00Z', '2026-01-02');
INSERT INTO queue_ticket (id, day, seq, number, domain, priority, issued_at, appointment_at, state,
        window_no, recalls, called_at, served_at, done_at, clerk, case_number, source) VALUES
    ('t1', '2026-01-02', 1, 'A001', 'D1', NULL, '2026-01-02T01:00:00Z', NULL, 'done', 1, 0,
        '2026-01-02T01:05:00Z', '2026-01-02T01:06:00Z', '2026-01-02T01:30:00Z', 'zhang', 'N1', 'kiosk'),
    ('t2', '2026-01-02', 2, 'A002', 'D1', 'elderly', '2026-01-02T01:10:00Z', '2026-01-02T02:00:00Z', 'waiting',
        NULL, 2, NULL, NULL, NULL, NULL, NULL, 'kiosk'),
    ('t3', '2026-01-02', 1, 'B001', 'D2', NULL, '2026-01-02T01:20:00Z', NULL, 'serving', 2, 0,
        '2026-01-02T01:25:00Z', '2026-01-02T01:26:00Z', NULL, 'wang', 'N2', 'desk:W02');
INSERT INTO queue_window_state (number, state, domains, clerk, updated_at) VALUES
    (1, 'open', '["D1"]', 'zhang', '2026-01-02T01:00:00Z'),
    (2, 'paused', '["D1","D2"]', NULL, '2026-01-02T01:00:00Z');
INSERT INTO queue_event (ticket_id, window_no, kind, by_user, at, detail) VALUES
    ('t1', NULL, 'issue', NULL, '2026-01-02T01:00:00Z', NULL),
    ('t1', 1, 'call', 'zhang', '2026-01-02T01:05:00Z', NULL),
    (NULL, 2, 'window', 'wang', '2026-01-02T01:07:00Z', 'paused');
INSERT INTO rating (ticket_id, case_number, window_no, clerk, level, reasons, comment, at, day,
        rectify, due) VALUES
    ('t1', 'N1', 1, 'zhang', 2, '["slow"]', 'too slow', '2026-01-02T01:31:00Z', '2026-01-02', 'pending', '2026-01-23'),
    ('t3', 'N2', 2, 'wang', 5, '[]', '', '2026-01-02T01:40:00Z', '2026-01-02', NULL, NULL);
INSERT INTO appointment (code, domain, slot_at, day, name_masked, imported_at, ticket_id, checked_in_at) VALUES
    ('AP1', 'D1', '2026-01-02T02:00:00Z', '2026-01-02', '张*', '2026-01-01T00:00:00Z', 't2', '2026-01-02T01:10:00Z'),
    ('AP2', 'D2', '2026-01-03T02:00:00Z', '2026-01-03', '', '2026-01-01T00:00:00Z', NULL, NULL);
INSERT INTO queue_config_change (body, imported_at) VALUES ('{"windows":[]}', '2026-01-01T00:00:00Z');
INSERT INTO login_attempt (name, failures, locked_until) VALUES ('li', 3, NULL);
INSERT INTO elicence_import (source, imported_at, holders) VALUES ('reg.json', '2026-01-01T00:00:00Z', 2);
INSERT INTO catalog_version (label, source, published_at, upserts, removals, last_seq) VALUES
    ('v1', 'cat.json', '2026-01-01T00:00:00Z', 1, 0, 1);
INSERT INTO catalog_change (version_id, entity, op, key, body) VALUES (1, 'item', 'upsert', 'I1', '{}');
INSERT INTO catalog_entity (entity, key, seq) VALUES ('item', 'I1', 1);
INSERT INTO calendar_year (year, body) VALUES (2026, '{}');
INSERT INTO calendar_change (year, op, body, imported_at) VALUES (2026, 'upsert', '{}', '2026-01-01T00:00:00Z');
"""

NOW_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Columns a migration fills with the time it ran: compared by format and closeness to now.
VOLATILE = {("centre", "created_at")}

SQL_WORDS = {
    "in", "and", "or", "not", "between", "is", "null", "any", "array", "text", "bigint",
    "check", "like", "glob",
}


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# PostgreSQL through psql


def db_url(admin_url, name):
    u = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def psql(url, *args, stdin=None, check=True):
    cmd = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:1] + ['<url>'] + cmd[2:])[:200]}\n{p.stderr.strip()}")
    return p


def pg_json(url, query):
    out = psql(url, "-At", "-c", query).stdout.strip()
    return json.loads(out) if out else None


def pg_create(admin, name):
    psql(admin, "-c", f'DROP DATABASE IF EXISTS "{name}"')
    # C collation, as the hub's databases have: text compares by code point, as on SQLite.
    psql(admin, "-c", f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                      f"LC_COLLATE 'C' LC_CTYPE 'C'")
    return db_url(admin, name)


def pg_apply_file(url, path):
    """Like the brief's check: psql -1 -f (one transaction per file)."""
    p = psql(url, "-1", "-f", str(path), check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{path.name} failed on PostgreSQL:\n{p.stderr.strip()}")


def pg_apply_simple(url, sql, label):
    """The whole text as one simple-protocol query (one implicit transaction), as a store's
    batch execution sends it."""
    p = psql(url, "-c", sql, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{label} failed on PostgreSQL (one query string):\n{p.stderr.strip()}")


PG_SCHEMA_QUERY = r"""
WITH tbl AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
),
cols AS (
    SELECT t.relname, json_agg(json_build_object(
               'name', a.attname,
               'type', format_type(a.atttypid, a.atttypmod),
               'notnull', a.attnotnull,
               'default', pg_get_expr(d.adbin, d.adrelid),
               'identity', a.attidentity)
           ORDER BY a.attnum) AS j
    FROM tbl t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum
    GROUP BY t.relname
),
cons AS (
    SELECT t.relname, json_agg(json_build_object(
               'name', k.conname,
               'type', k.contype,
               'cols', (SELECT json_agg(a.attname ORDER BY u.ord)
                        FROM unnest(k.conkey) WITH ORDINALITY u(n, ord)
                        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
               'ref_table', (SELECT relname FROM pg_class WHERE oid = k.confrelid),
               'ref_cols', (SELECT json_agg(a.attname ORDER BY u.ord)
                            FROM unnest(k.confkey) WITH ORDINALITY u(n, ord)
                            JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n),
               'on_update', k.confupdtype,
               'on_delete', k.confdeltype,
               'deferrable', k.condeferrable,
               'def', pg_get_constraintdef(k.oid))
           ORDER BY k.conname) AS j
    FROM tbl t JOIN pg_constraint k ON k.conrelid = t.oid
    GROUP BY t.relname
),
idx AS (
    SELECT json_agg(json_build_object(
               'name', ic.relname,
               'table', t.relname,
               'unique', i.indisunique,
               'cols', (SELECT json_agg(pg_get_indexdef(i.indexrelid, g, true) ORDER BY g)
                        FROM generate_series(1, i.indnkeyatts) g),
               'where', pg_get_expr(i.indpred, i.indrelid))
           ORDER BY ic.relname) AS j
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN tbl t ON t.oid = i.indrelid
    WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                   AND k.conrelid = i.indrelid)
),
trg AS (
    SELECT json_agg(json_build_object('name', g.tgname, 'table', t.relname, 'type', g.tgtype)
           ORDER BY g.tgname) AS j
    FROM pg_trigger g JOIN tbl t ON t.oid = g.tgrelid
    WHERE NOT g.tgisinternal
),
other AS (
    SELECT json_agg(json_build_object('name', c.relname, 'kind', c.relkind) ORDER BY c.relname) AS j
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind NOT IN ('r', 'p', 'i', 'S')
)
SELECT json_build_object(
    'tables', (SELECT json_object_agg(relname, json_build_object(
                   'columns', cols.j, 'constraints', coalesce(cons.j, '[]'::json)))
               FROM cols LEFT JOIN cons USING (relname)),
    'indexes', coalesce((SELECT j FROM idx), '[]'::json),
    'triggers', coalesce((SELECT j FROM trg), '[]'::json),
    'other', coalesce((SELECT j FROM other), '[]'::json))
"""


def pg_rows(url, tables):
    """{table: [row dict, ...]} for the given tables (columns as JSON: bigint a number)."""
    if not tables:
        return {}
    parts = ", ".join(
        f"'{t}', (SELECT coalesce(json_agg(row_to_json(x)), '[]'::json) FROM \"{t}\" x)"
        for t in tables)
    return pg_json(url, f"SELECT json_build_object({parts})")


# ---------------------------------------------------------------------------------------------
# SQLite


def sqlite_script(text):
    if sqlite3.sqlite_version_info < (3, 37, 0):
        # STRICT is only a table option: stripped for the comparison on an older library.
        text = re.sub(r"\)\s*STRICT\s*;", ");", text)
    return text


def sqlite_apply(conn, path_or_sql, label=None):
    sql = path_or_sql.read_text() if isinstance(path_or_sql, Path) else path_or_sql
    try:
        conn.executescript("BEGIN;\n" + sqlite_script(sql) + "\nCOMMIT;")
    except sqlite3.Error as e:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise RuntimeError(f"{label or path_or_sql} failed on SQLite: {e}")


def sqlite_new():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def strip_sql_comments(sql):
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'" and (j + 1 >= n or sql[j + 1] != "'"):
                    break
                j += 2 if sql[j] == "'" else 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def check_clauses(create_sql):
    """The bodies of the CHECK (...) clauses of a CREATE TABLE statement."""
    sql = strip_sql_comments(create_sql)
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", sql, re.I):
        depth, i = 1, m.end()
        in_str = False
        while i < len(sql) and depth:
            c = sql[i]
            if c == "'":
                in_str = not in_str
            elif not in_str:
                depth += {"(": 1, ")": -1}.get(c, 0)
            i += 1
        out.append(sql[m.end():i - 1])
    return out


def check_key(body):
    """What a CHECK names, engine-neutral: its identifiers, string literals and numbers.
    (PostgreSQL rewrites `x IN ('a', 'b')` as `x = ANY (ARRAY['a'::text, 'b'::text])` and
    `x BETWEEN 1 AND 5` as `x >= 1 AND x <= 5`; both keep the same names and values.)"""
    tokens = set()
    for lit, word in re.findall(r"('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?)", body):
        if lit:
            tokens.add(lit)
        elif word.lower() not in SQL_WORDS:
            tokens.add(word.lower())
    return tuple(sorted(tokens))


def norm_default(value):
    if value is None:
        return None
    v = value.strip()
    v = re.sub(r"::(text|bigint|integer|double precision|bytea)$", "", v)
    while v.startswith("(") and v.endswith(")"):
        v = v[1:-1].strip()
    return v


def norm_pred(pred):
    if pred is None:
        return None
    return re.sub(r"[\s()]+", " ", strip_sql_comments(pred)).strip().lower()


def sqlite_model(conn):
    model = {"tables": {}, "indexes": {}, "triggers": {}, "rowid_alias": set()}
    strict = {}
    try:
        for row in conn.execute("PRAGMA table_list"):
            strict[row[1]] = bool(row[5])
    except sqlite3.Error:
        pass
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name").fetchall()
    for name, sql in tables:
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        pk_cols = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        is_strict = strict.get(name, True)
        cols = []
        for cid, cname, ctype, notnull, dflt, pk in info:
            rowid_alias = pk_cols == [cname] and ctype.upper() == "INTEGER"
            if rowid_alias:
                model["rowid_alias"].add((name, cname))
            cols.append({
                "name": cname,
                "type": ctype.upper(),
                # In a STRICT table a PRIMARY KEY column is NOT NULL; a rowid alias always is.
                "notnull": bool(notnull) or (bool(pk) and (is_strict or rowid_alias)),
                "default": norm_default(dflt),
            })
        uniques = set()
        for _seq, iname, unique, origin, _partial in conn.execute(f'PRAGMA index_list("{name}")'):
            if origin == "u":
                ic = [r[2] for r in conn.execute(f'PRAGMA index_info("{iname}")')]
                uniques.add(tuple(ic))
        fks = {}
        for fid, _seq, rtable, frm, to, on_up, on_del, _match in conn.execute(
                f'PRAGMA foreign_key_list("{name}")'):
            fks.setdefault(fid, {"cols": [], "ref_table": rtable, "ref_cols": [],
                                 "on_update": on_up, "on_delete": on_del})
            fks[fid]["cols"].append(frm)
            fks[fid]["ref_cols"].append(to)
        fkset = set()
        for fk in fks.values():
            ref_cols = fk["ref_cols"]
            if any(c is None for c in ref_cols):
                ref_cols = [r[1] for r in sorted(
                    (r for r in conn.execute(f'PRAGMA table_info("{fk["ref_table"]}")') if r[5]),
                    key=lambda r: r[5])]
            fkset.add((tuple(fk["cols"]), fk["ref_table"], tuple(ref_cols),
                       fk["on_update"].upper(), fk["on_delete"].upper()))
        model["tables"][name] = {
            "columns": cols,
            "pk": tuple(pk_cols),
            "uniques": uniques,
            "fks": fkset,
            "checks": sorted(check_key(b) for b in check_clauses(sql)),
        }
    for iname, tname, isql in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"):
        icols = [r[2] for r in conn.execute(f'PRAGMA index_xinfo("{iname}")') if r[5]]
        m = re.search(r"\bWHERE\b(.*)$", strip_sql_comments(isql), re.I | re.S)
        model["indexes"][iname] = {
            "table": tname,
            "cols": tuple(icols),
            "unique": bool(re.match(r"\s*CREATE\s+UNIQUE\b", isql, re.I)),
            "where": norm_pred(m.group(1)) if m else None,
        }
    for gname, tname, gsql in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger'"):
        m = re.search(r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", gsql, re.I)
        model["triggers"][gname] = (tname, m.group(1).upper(), m.group(2).upper(), "ROW")
    return model


def sqlite_rows(conn, tables):
    out = {}
    for t in tables:
        cur = conn.execute(f'SELECT * FROM "{t}"')
        names = [d[0] for d in cur.description]
        out[t] = [dict(zip(names, r)) for r in cur.fetchall()]
    return out


# ---------------------------------------------------------------------------------------------
# PostgreSQL model in the same shape

FK_ACTION = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def default_constraint_name(table, k):
    """The names PostgreSQL would choose for constraint k of table (a set: a CHECK's name comes
    from its first column), or None when there is no rule to check."""
    cols = k["cols"] or []
    suffix = {"p": "pkey", "u": "key", "f": "fkey", "c": "check"}.get(k["type"])
    if suffix is None:
        return None
    if k["type"] == "p":
        return {f"{table}_pkey"}
    if k["type"] == "c":
        return {f"{table}_{c}_check" for c in cols} or {f"{table}_check"}
    return {f"{table}_{'_'.join(cols)}_{suffix}"}


def pg_model(raw):
    model = {"tables": {}, "indexes": {}, "triggers": {}, "identity": set(), "other": raw["other"],
             "misnamed": []}
    for name, t in (raw["tables"] or {}).items():
        cols = []
        for c in t["columns"]:
            if c["identity"]:
                model["identity"].add((name, c["name"], c["identity"]))
            cols.append({
                "name": c["name"],
                "type": c["type"],
                "notnull": c["notnull"],
                "default": norm_default(c["default"]),
            })
        pk, uniques, fks, checks = (), set(), set(), []
        for k in t["constraints"]:
            # A constraint carries the name PostgreSQL gives it by default (what a table made in
            # one go would have), so later migrations can name it: rebuilt tables rename theirs.
            want = default_constraint_name(name, k)
            if want is not None and k["name"] not in want:
                model["misnamed"].append(f"{name}: constraint {k['name']} should be named "
                                         f"{' or '.join(sorted(want))}")
            if k["type"] == "p":
                pk = tuple(k["cols"])
            elif k["type"] == "u":
                uniques.add(tuple(k["cols"]))
            elif k["type"] == "f":
                fks.add((tuple(k["cols"]), k["ref_table"], tuple(k["ref_cols"]),
                         FK_ACTION[k["on_update"]], FK_ACTION[k["on_delete"]]))
                if k["deferrable"]:
                    fks.add(("DEFERRABLE", k["name"]))
            elif k["type"] == "c":
                body = re.sub(r"^CHECK\s*", "", k["def"])
                body = re.sub(r"::(text|bigint|integer)\b", "", body)
                checks.append(check_key(body))
            else:
                checks.append(("unexpected constraint", k["name"], k["type"]))
        model["tables"][name] = {"columns": cols, "pk": pk, "uniques": uniques, "fks": fks,
                                 "checks": sorted(checks)}
    for i in raw["indexes"]:
        model["indexes"][i["name"]] = {"table": i["table"], "cols": tuple(i["cols"]),
                                       "unique": i["unique"], "where": norm_pred(i["where"])}
    for g in raw["triggers"]:
        ty = g["type"]
        timing = "BEFORE" if ty & 2 else ("INSTEAD OF" if ty & 64 else "AFTER")
        events = [e for bit, e in ((4, "INSERT"), (8, "DELETE"), (16, "UPDATE"), (32, "TRUNCATE"))
                  if ty & bit]
        model["triggers"][g["name"]] = (g["table"], timing, "|".join(events),
                                        "ROW" if ty & 1 else "STATEMENT")
    return model


# ---------------------------------------------------------------------------------------------
# Comparison


def compare_schema(lite, pg):
    diffs = []
    lt, pt = set(lite["tables"]), set(pg["tables"])
    for t in sorted(lt - pt):
        diffs.append(f"table {t}: only in SQLite")
    for t in sorted(pt - lt):
        diffs.append(f"table {t}: only in PostgreSQL")
    for o in pg["other"]:
        diffs.append(f"PostgreSQL has an extra relation {o['name']} (kind {o['kind']})")
    for t in sorted(lt & pt):
        a, b = lite["tables"][t], pg["tables"][t]
        an = [c["name"] for c in a["columns"]]
        bn = [c["name"] for c in b["columns"]]
        if an != bn:
            if sorted(an) == sorted(bn):
                diffs.append(f"table {t}: column order differs\n    SQLite:     {an}\n"
                             f"    PostgreSQL: {bn}")
            else:
                for c in an:
                    if c not in bn:
                        diffs.append(f"table {t}: column {c} only in SQLite")
                for c in bn:
                    if c not in an:
                        diffs.append(f"table {t}: column {c} only in PostgreSQL")
        bcols = {c["name"]: c for c in b["columns"]}
        for ac in a["columns"]:
            bc = bcols.get(ac["name"])
            if bc is None:
                continue
            want = TYPE_MAP.get(ac["type"])
            if want is None:
                diffs.append(f"{t}.{ac['name']}: SQLite type {ac['type']!r} has no mapping")
            elif bc["type"] != want:
                diffs.append(f"{t}.{ac['name']}: type {bc['type']} on PostgreSQL, "
                             f"want {want} (SQLite {ac['type']})")
            if ac["notnull"] != bc["notnull"]:
                diffs.append(f"{t}.{ac['name']}: NOT NULL {ac['notnull']} on SQLite, "
                             f"{bc['notnull']} on PostgreSQL")
            if ac["default"] != bc["default"]:
                diffs.append(f"{t}.{ac['name']}: default {ac['default']!r} on SQLite, "
                             f"{bc['default']!r} on PostgreSQL")
        for key, label in (("pk", "primary key"), ("uniques", "UNIQUE constraints"),
                           ("fks", "foreign keys"), ("checks", "CHECK constraints")):
            if a[key] != b[key]:
                diffs.append(f"table {t}: {label} differ\n    SQLite:     {fmt(a[key])}\n"
                             f"    PostgreSQL: {fmt(b[key])}")
    li, pi = lite["indexes"], pg["indexes"]
    for n in sorted(set(li) - set(pi)):
        diffs.append(f"index {n} (on {li[n]['table']}): only in SQLite")
    for n in sorted(set(pi) - set(li)):
        diffs.append(f"index {n} (on {pi[n]['table']}): only in PostgreSQL")
    for n in sorted(set(li) & set(pi)):
        if li[n] != pi[n]:
            diffs.append(f"index {n} differs\n    SQLite:     {li[n]}\n    PostgreSQL: {pi[n]}")
    lg, pgt = lite["triggers"], pg["triggers"]
    for n in sorted(set(lg) | set(pgt)):
        if lg.get(n) != pgt.get(n):
            diffs.append(f"trigger {n}: SQLite {lg.get(n)}, PostgreSQL {pgt.get(n)}")
    # Which INTEGER PRIMARY KEY columns are identities is a judgement per table; any identity
    # elsewhere, or one that is not BY DEFAULT, is a mistake.
    for t, c, kind in sorted(pg["identity"]):
        if (t, c) not in lite["rowid_alias"]:
            diffs.append(f"{t}.{c}: an identity on PostgreSQL but not an INTEGER PRIMARY KEY on SQLite")
        if kind != "d":
            diffs.append(f"{t}.{c}: identity is GENERATED ALWAYS; want BY DEFAULT")
    diffs += pg["misnamed"]
    return diffs


def fmt(v):
    if isinstance(v, set):
        return sorted(v, key=repr)
    return v


def normalise_rows(rows, columns, table):
    out = []
    for r in rows:
        vals = []
        for c in columns:
            v = r.get(c)
            if (table, c) in VOLATILE and isinstance(v, str) and NOW_RE.match(v):
                t = datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=datetime.timezone.utc)
                age = abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
                v = "<time the migration ran>" if age < 3600 else f"<stale time {v}>"
            vals.append(v)
        out.append(tuple(vals))
    return sorted(out, key=repr)


def compare_rows(lite_rows, pg_rows_, model, label):
    diffs = []
    for t in sorted(model["tables"]):
        cols = [c["name"] for c in model["tables"][t]["columns"]]
        a = normalise_rows(lite_rows.get(t, []), cols, t)
        b = normalise_rows(pg_rows_.get(t, []), cols, t)
        if a != b:
            only_a = [r for r in a if r not in b]
            only_b = [r for r in b if r not in a]
            d = f"{label}: rows of {t} differ ({len(a)} on SQLite, {len(b)} on PostgreSQL)"
            for r in only_a[:10]:
                d += f"\n    only SQLite:     {r}"
            for r in only_b[:10]:
                d += f"\n    only PostgreSQL: {r}"
            diffs.append(d)
    return diffs


def check_append_only(conn, url):
    """UPDATE and DELETE on audit_record are refused on both engines, with the same message."""
    diffs = []
    for stmt in ("UPDATE audit_record SET detail = 'x' WHERE device_id = 'dev1' AND seq = 1",
                 "DELETE FROM audit_record WHERE device_id = 'dev1' AND seq = 1"):
        try:
            conn.execute(stmt)
            lite = None
        except sqlite3.Error as e:
            lite = str(e)
        p = psql(url, "-c", stmt, check=False)
        pg = None
        if p.returncode != 0:
            m = re.search(r"ERROR:\s*(.*)", p.stderr)
            pg = m.group(1).strip() if m else p.stderr.strip()
        if lite != "audit records are append-only" or pg != lite:
            diffs.append(f"{stmt.split()[0]} on audit_record: SQLite says {lite!r}, "
                         f"PostgreSQL says {pg!r} (want both to refuse with "
                         f"'audit records are append-only')")
    return diffs


# ---------------------------------------------------------------------------------------------


def main(argv):
    args = [a for a in argv[1:] if a != "--keep"]
    keep = "--keep" in argv[1:]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: compare-hub-schemas.py POSTGRES_URL [--keep]", file=sys.stderr)
        return 2
    admin = args[0]

    lite_files = sorted(p.name for p in SQLITE_DIR.glob("*.sql"))
    pg_files = sorted(p.name for p in PG_DIR.glob("*.sql"))
    diffs = []
    if lite_files != pg_files:
        for n in sorted(set(lite_files) - set(pg_files)):
            diffs.append(f"migration {n}: no PostgreSQL twin in {PG_DIR.relative_to(ROOT)}")
        for n in sorted(set(pg_files) - set(lite_files)):
            diffs.append(f"migration {n}: no SQLite original in {SQLITE_DIR.relative_to(ROOT)}")
    files = [n for n in lite_files if n in pg_files]

    print(f"SQLite library {sqlite3.sqlite_version}"
          + ("" if sqlite3.sqlite_version_info >= (3, 37, 0) else " (STRICT stripped)"))
    tag = f"{os.getpid()}"
    names = [f"hub_schema_check_{tag}", f"hub_data_check_{tag}"]
    try:
        # 1-3: the schemas and the rows the migrations themselves insert.
        lite = sqlite_new()
        url = pg_create(admin, names[0])
        for n in files:
            sqlite_apply(lite, SQLITE_DIR / n)
            pg_apply_file(url, PG_DIR / n)
        print(f"applied {len(files)} migrations to SQLite (memory) and PostgreSQL ({names[0]})")
        lm = sqlite_model(lite)
        pm = pg_model(pg_json(url, PG_SCHEMA_QUERY))
        diffs += compare_schema(lm, pm)
        common = sorted(set(lm["tables"]) & set(pm["tables"]))
        diffs += compare_rows(sqlite_rows(lite, common), pg_rows(url, common),
                              {"tables": {t: lm["tables"][t] for t in common}},
                              "empty database")

        # 4: the data steps, with rows in the tables they move.
        lite2 = sqlite_new()
        url2 = pg_create(admin, names[1])
        for n in files:
            sqlite_apply(lite2, SQLITE_DIR / n)
            pg_apply_simple(url2, (PG_DIR / n).read_text(), n)
            if n == FIXTURE_AFTER:
                sqlite_apply(lite2, FIXTURE, "the fixture rows")
                pg_apply_simple(url2, FIXTURE, "the fixture rows")
        print(f"applied them again with rows put in after {FIXTURE_AFTER} ({names[1]})")
        diffs += compare_rows(sqlite_rows(lite2, common), pg_rows(url2, common),
                              {"tables": {t: lm["tables"][t] for t in common}},
                              "with rows")

        # 5: append-only audit records.
        diffs += check_append_only(lite2, url2)
    except RuntimeError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if not keep:
            for n in names:
                psql(admin, "-c", f'DROP DATABASE IF EXISTS "{n}"', check=False)
        else:
            print(f"kept databases: {', '.join(names)}")

    idents = sorted(f"{t}.{c}" for t, c, _ in pm["identity"])
    natural = sorted(f"{t}.{c}" for t, c in lm["rowid_alias"]
                     if (t, c) not in {(x, y) for x, y, _ in pm["identity"]})
    print(f"compared {len(lm['tables'])} tables, {len(lm['indexes'])} indexes, "
          f"{len(lm['triggers'])} triggers")
    print(f"INTEGER PRIMARY KEY as identity (BY DEFAULT): {', '.join(idents) or '-'}")
    print(f"INTEGER PRIMARY KEY kept as natural keys: {', '.join(natural) or '-'}")
    if diffs:
        print(f"\n{len(diffs)} difference(s):", file=sys.stderr)
        for d in diffs:
            print(f"  - {d}", file=sys.stderr)
        return 1
    print("no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
