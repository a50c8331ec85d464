"""Keep-my-place callbacks (issue 16): a resident waiting in the line presses 1, hangs
up, and is called back when their turn comes, before nobody who was behind them.

policy (pure: places in line, retries, placeholder ids), store (the requests in the
database, claimed with guarded UPDATEs), scripts (the FastAGI scripts that book a
request and hear how each placeholder ended), engine (the bridge's loop that puts
placeholders into the queue), figures (offered, accepted, completed, failed: from the
database and again from queue_log), wiring (the parts for hotline.bridge_root).
"""
