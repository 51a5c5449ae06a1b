"""Read: content files and metadata become Article objects, with problems at file:line."""
