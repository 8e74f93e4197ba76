"""PostgreSQL roles of a deployment: the table owner runs the migrations, the application runs as a
role that may read and write rows but cannot alter or drop tables, and so cannot drop the audit
log's append-only triggers (`DROP TRIGGER` and `ALTER TABLE … DISABLE TRIGGER` need ownership)
nor `TRUNCATE` the log (not granted).

`grant_app_role` is run by the owner after `anpei db upgrade` (`anpei db grant-app-role anpei_app`);
default privileges make the tables of later migrations reachable too.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Engine

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """The role cannot be granted; the message is Chinese."""


def grant_app_role(engine: Engine, *, role: str) -> list[str]:
    """Grant `role` row access (SELECT, INSERT, UPDATE, DELETE; sequences) in the current schema.

    Run as the owner of the tables. Returns the statements run. Refuses SQLite and odd role names.
    """
    if engine.dialect.name != "postgresql":
        raise RoleError("只有 PostgreSQL 需要（也支持）区分表属主和应用账号")
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"数据库角色名不合规：{role!r}（小写字母、数字、下划线）")
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        owner = conn.execute(text("SELECT current_user")).scalar_one()
        if role == owner:
            raise RoleError(f"应用账号 {role} 不能是表的属主本身：请另建一个角色")
        quoted_schema = '"' + str(schema).replace('"', '""') + '"'
        statements = [
            f'GRANT USAGE ON SCHEMA {quoted_schema} TO "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {quoted_schema} TO "{role}"',
            f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO "{role}"',
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema}"
            f' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"',
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA {quoted_schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "{role}"',
        ]
        for statement in statements:
            conn.execute(text(statement))
    return statements
