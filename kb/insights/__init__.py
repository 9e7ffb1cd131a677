"""Insights: the metrics and reports managers read, computed from events and tickets."""
