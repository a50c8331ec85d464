"""The workflow around a work order (issue 15): channels and urgency at intake,
warranty, the complaint register's steps, and the deadline sweeper that flags
each deadline when it falls due and when it is missed."""
