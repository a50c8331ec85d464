"""`hotline demo run`."""
import click

from hotline import demo
from hotline.settings import get_settings


@click.group("demo")
def demo_group() -> None:
    """The embedded demo: bridge, console, demo agents and residents' calls."""


@demo_group.command("run")
@click.option("--households", default=2000, show_default=True,
              help="Demo households made on first run.")
@click.option("--calls-per-minute", default=6, show_default=True,
              help="Residents' calls placed by SIPp each minute.")
def run_command(households: int, calls_per_minute: int) -> None:
    """Run everything until Ctrl-C (console at http://127.0.0.1:5000)."""
    demo.run(get_settings(), households, calls_per_minute)


commands = [demo_group]
