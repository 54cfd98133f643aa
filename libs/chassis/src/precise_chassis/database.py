"""One database per service: a SQLite file in the embedded profile, a PostgreSQL schema otherwise."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from precise_chassis.settings import PlatformSettings


class Database:
    """A service's database: its engine (schema-mapped), sessions and a readiness check."""

    def __init__(self, engine: AsyncEngine, schema: str | None) -> None:
        self.engine = engine
        self.schema = schema
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def for_service(cls, service: str, settings: PlatformSettings) -> Database:
        if settings.embedded:
            return cls.sqlite(settings.data_dir / "db" / f"{service}.sqlite")
        return cls.postgres(settings.database_url, settings.schema_for(service))

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return cls(engine, None)

    @classmethod
    def postgres(cls, url: str, schema: str) -> Database:
        engine = create_async_engine(
            url,
            pool_size=10,
            max_overflow=10,
            # no pre-ping: it costs a round trip per checkout (a third of a handler's time); a connection
            # lost under us fails that one transaction, whose message or request is retried
            pool_recycle=1800,
            execution_options={"schema_translate_map": {None: schema}},
        )
        return cls(engine, schema)

    def session(self) -> AsyncSession:
        return self.sessions()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets readers go on while one writer writes; busy_timeout makes a second writer wait its turn.
    # The driver must not open transactions itself: _begin_immediate does.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once ("database is locked") when another
    # writer got in between, without waiting; taking the write lock at BEGIN makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
