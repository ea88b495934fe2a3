"""What several gateway instances share through Redis (`TTHC_REDIS_URL`): a message bus between instances and
rate-limit counters. Without Redis the same interfaces work inside one process."""
