"""The independent oracle: what a session should have produced, and whether it did."""
