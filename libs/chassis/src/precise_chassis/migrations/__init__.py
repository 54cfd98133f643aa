"""Alembic migrations: this folder holds the shared env.py and the chassis's own versions (branch
`chassis`); each service keeps its versions in `<package>/migrations/versions` depending on it."""
