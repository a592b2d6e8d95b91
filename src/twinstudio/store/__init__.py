"""Persistence adapters: SQLAlchemy tables, repositories, unit of work, migrations."""
