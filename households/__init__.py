"""Residents: communities, rooms, households, people, fee ledgers, caller matching,
the screen-pop record. Domain logic over the models in models/households.py and
models/fees.py; kept out of telephony/ (which only speaks to Asterisk) and out of
agent_console/ (which only presents)."""
