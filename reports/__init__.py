"""Metric sampling, alert rules, analytics and charts. Returns data; never posts or builds Replies."""
