"""The command line: build, serve, digest, fetch and init."""
