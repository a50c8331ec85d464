"""Live queue and agent state (Redis) and call-centre statistics (SQL).

Named `call_queue`, not `queue`: a top-level `queue` package would shadow the
standard library module that pyst2 and python-engineio import.
"""
