"""The `hotline` command. Each package contributes its own commands.

Every package keeps a `cli.py` with a `commands` list of Click commands or groups;
this module only assembles them, checks the settings once, and turns the project's
own errors into one line on stderr with exit status 2.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from hotline.errors import HotlineError
from hotline.settings import get_settings

COMMAND_MODULES = (
    "hotline.lab_cli",
    "hotline.demo_cli",
    "hotline.deploy_cli",
    "hotline.asterisk_config_cli",
    "models.cli",
    "telephony.cli",
    "telephony.ivr.cli",
    "call_queue.cli",
    "households.cli",
    "agent_console.cli",
    "workflow.cli",
    "reports.cli",
    "maintenance.cli",
)


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HotlineError as error:
            click.echo(f"hotline: {error}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """Hotline: the property-management service hotline on Asterisk 22."""
    # Secrets, databases, spools and logs under the state folder: 0600 files, 0700
    # folders (what must be readable by others, e.g. the lab's Asterisk tree, says so).
    os.umask(0o077)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    get_settings()  # a bad variable stops here, named, before any work


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).commands:
        main.add_command(_command)


if __name__ == "__main__":
    main()
