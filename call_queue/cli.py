"""Commands this package adds to `hotline` (see hotline/cli.py)."""
import click  # noqa: F401

commands: list = []
