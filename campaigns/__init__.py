"""Outbound campaigns (issue 18): paced calls placed by the bridge, answered by an IVR.

store.py     the database side: enrol targets, claim an attempt atomically, end it
hours.py     when a campaign may call (office time, never on a rest day)
engine.py    the pacing loop the bridge runs (hotline.bridge_root wires it)
dialler.py   Originate through the bridge's signed command channel
ivr.py       the FastAGI scripts: the answered resident's IVR, and the dial's end
satisfaction.py / dunning.py   what each kind of campaign asks and records
"""
