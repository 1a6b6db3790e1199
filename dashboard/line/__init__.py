"""LINE itself: the API clients, LINE's ID formats and message limits, and the local sandbox that stands in for LINE."""
