"""Publish: pages and files go into the output folder atomically, deleting only what the build made."""
