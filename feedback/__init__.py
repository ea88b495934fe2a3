"""What citizens tell us about the answers: every answer's outcome, ratings (👍/👎 and why), and what officers
teach back (labelled example questions)."""
