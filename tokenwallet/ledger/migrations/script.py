"""Run a migration's SQL script statement by statement.

Part of the migrations' history: every migration calls this, so its behaviour must never change
(a fix goes into a new function that later migrations use).
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database


def run_script(db: Database, sql: str) -> None:
    """Run the statements of ``sql`` one by one, inside the migration's transaction.

    ``Database.executescript`` does the same in a transaction but looks for the end of a
    statement after every character, which made creating a new ledger take a fifth of a second.
    Splitting at semicolons and asking SQLite whether the statement is complete yet keeps the
    semicolons inside trigger bodies and string literals where they belong.
    """
    statement = ""
    for part in sql.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\n;"):
                db.conn.execute(statement)
            statement = ""
    if statement.strip(" \t\n;"):
        db.conn.execute(statement)  # an unfinished statement: SQLite says what is wrong with it
