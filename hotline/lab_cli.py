"""`hotline lab up | down | status`."""
import click

from hotline import lab
from hotline.settings import get_settings


def _print_endpoints(info: dict) -> None:
    for key in ("ami", "sip", "redis", "fastagi", "queue_log", "cdr", "recordings"):
        click.echo(f"  {key:<10} {info[key]}")


@click.group("lab")
def lab_group() -> None:
    """The lab: a real Asterisk 22 (Debian sid chroot) and Redis on loopback."""


@lab_group.command("up")
def up_command() -> None:
    """Build (once), configure and start the lab; return when it answers."""
    info = lab.up(get_settings())
    if info["changed"]:
        click.echo(f"lab up in {info['total_s']} s (root build {info['build_s']} s, "
                   f"Asterisk boot {info['boot_s']} s)")
    elif info["reloaded"]:
        click.echo(f"lab already up; configuration reloaded: {', '.join(info['reloaded'])}")
    else:
        click.echo("lab already up: nothing changed")
    _print_endpoints(info)


@lab_group.command("down")
def down_command() -> None:
    """Stop what `lab up` started and unmount its binds."""
    click.echo("lab down" if lab.down(get_settings()) else "lab was not up: nothing to stop")


@lab_group.command("reload")
def reload_command() -> None:
    """Install the configuration rendered from asterisk_conf/ into the running lab."""
    changed = lab.reload(get_settings())
    click.echo(f"reloaded: {', '.join(changed)}" if changed else "configuration unchanged")


@lab_group.command("status")
def status_command() -> None:
    """Say whether Asterisk and Redis of the lab are running."""
    info = lab.status(get_settings())
    click.echo(f"asterisk: {info['asterisk_state']}, redis: {info['redis_state']}")
    _print_endpoints(info)


commands = [lab_group]
