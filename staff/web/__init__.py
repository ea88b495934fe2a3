"""Staff console over HTTP: pages under /staff, JSON under /api/staff."""
