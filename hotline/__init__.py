"""Hotline: cross-cutting pieces (settings, the command line, the lab)."""
