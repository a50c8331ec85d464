"""gunicorn settings of the console, for a gunicorn started by hand:

    gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:5001 agent_console.wsgi:app

The values live in agent_console/production.py (GUNICORN_OPTIONS), which
`hotline console --production` uses too: one threaded worker (gthread +
simple-websocket), logs on stderr (the journal under systemd).
"""
from agent_console.production import GUNICORN_OPTIONS

globals().update(GUNICORN_OPTIONS)
