"""`hotline db …`: migrations."""
import click

from hotline.settings import get_settings
from models import migrate


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    migrate.upgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate the database back to REVISION."""
    migrate.downgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}")


commands = [db_group]
