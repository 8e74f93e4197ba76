"""`python -m anpei_cli …` is `anpei …` (the demo starts its children this way)."""

from anpei_cli.cli import app

app(prog_name="anpei")
