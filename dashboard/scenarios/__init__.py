"""Step scenarios (ステップ配信): welcome and follow-up messages on each friend's own clock, sent exactly once through the send engine."""
