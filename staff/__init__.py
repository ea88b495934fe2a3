"""Staff console for officers at the one-stop counters: accounts and sessions, procedure search and print-outs,
the overdue dossier board, an audit log of every view of personal data."""
