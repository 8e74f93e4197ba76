"""The campaign's database: models (SQLModel), engine, migrations, sample county, read queries."""
