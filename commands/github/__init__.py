"""GitHub event handlers (review, triage, mention reply, notifications), shared with `/review`."""
