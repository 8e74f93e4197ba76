"""`anpei`: the command line of the whole product. Each package registers its own commands."""

from __future__ import annotations

import typer

from anpei import __version__
from anpei_cli import account_commands, cli_text, data_commands, demo
from anpei_cli import db_commands as db_cli
from anpei_cli import export_commands as export_cli
from training_audit import cli as training_audit_cli
from verifier import cli as verifier_cli

cli_text.install()  # click's own words (Usage:, Error: …) in Chinese

app = typer.Typer(
    name="anpei",
    help="安培：安全生产培训“走过场”专项整治工作平台。\n\n常用：anpei demo（启动演示）、anpei summary --month 2023-05（月度汇总）、anpei verify 名册.xlsx --out 结果.xlsx（批量核验证书）。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"anpei {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="显示版本号后退出。"
    ),
) -> None:
    """安培：安全生产培训“走过场”专项整治工作平台。"""


db_cli.register(app)
data_commands.register(app)
export_cli.register(app)
account_commands.register(app)
verifier_cli.register(app)
training_audit_cli.register(app)
demo.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
