"""Sending: planning a send, the compose actions, approvals, tracked links and the send engine (the only caller of LINE's send endpoints)."""
