"""Developer tools that are not on the run-time path: model conversion (run by `make setup`), evaluation, benchmark."""
