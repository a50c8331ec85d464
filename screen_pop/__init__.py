"""Screen-pop content for the bridge process: the caller's household, looked up ahead.

Bridge-side (it imports households/, never agent_console/): the live sink
(call_queue.live) asks `HouseholdPops` for a ringing call's pop and keeps it
with the call in the one projection.
"""
