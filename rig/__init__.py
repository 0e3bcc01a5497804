"""EV roaming test rig: plans, runner, actors, checks, reports and the utility services."""
