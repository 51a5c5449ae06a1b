"""HTTP: one careful GET for fetch and the image mirror."""
