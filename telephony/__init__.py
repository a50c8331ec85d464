"""Everything that speaks to Asterisk: AMI, FastAGI, recordings, outbound actions.

Only this package reads AMI header names; the rest of the system sees the typed
call events of `telephony.events`.
"""
