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
@click.option("--night", is_flag=True,
              help="Play the night line (duty phone or voicemail) instead of the day line.")
@click.option("--by-calendar", is_flag=True,
              help="Day or night line as the office calendar says now (as in production).")
def run_command(households: int, calls_per_minute: int, night: bool, by_calendar: bool) -> None:
    """Run everything until Ctrl-C (console at http://127.0.0.1:5000).

    The line greets, announces the position and the wait, reassures, and refuses
    callers when the queue is full; by default the day line whatever the time."""
    if night and by_calendar:
        raise click.UsageError("--night and --by-calendar exclude each other")
    hours = "night" if night else "calendar" if by_calendar else "day"
    demo.run(get_settings(), households, calls_per_minute, hours)


@demo_group.command("speech")
@click.option("--force", is_flag=True, help="Make the files again even if unchanged.")
def speech_command(force: bool) -> None:
    """The demo calls' Mandarin phrases (espeak-ng + sox -> 8 kHz mu-law WAV)."""
    from hotline.demo_speech import build_speech

    speech = build_speech(get_settings().state_dir, force=force)
    click.echo(f"demo speech in {speech.folder} ({speech.windows.length_s:.1f} s a turn)")


commands = [demo_group]
