"""The GitHub edge: webhook receiver (inbound), issue-comment adapter (outbound), and their assembly."""
