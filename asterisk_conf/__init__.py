"""Asterisk 22 configuration templates for the hotline (Jinja2, rendered by the lab)."""
