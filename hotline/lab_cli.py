"""Lab commands (written next)."""
commands: list = []
