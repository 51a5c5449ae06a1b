"""Render: Jinja templates turn planned pages into bytes."""
