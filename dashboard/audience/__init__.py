"""Who a send or a segment reaches: the rule model and its compiler, running rules, saved segments."""
