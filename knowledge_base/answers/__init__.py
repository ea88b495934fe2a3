"""What the assistant says about one procedure: structured reply content, no channel formatting."""
