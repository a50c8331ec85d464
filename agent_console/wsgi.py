"""The console as a WSGI app for a gunicorn started by hand:

    gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:5001 agent_console.wsgi:app

(`hotline console --production` does the same without this module.) The
settings are read here, once, at the entry point.
"""
from hotline.settings import get_settings

from agent_console.production import build_app

app = build_app(get_settings())
