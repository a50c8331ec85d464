"""AMI: the wire protocol, the connection, and pyst2's fixed defects; no business logic."""
