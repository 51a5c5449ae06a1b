"""Build: the pipeline in order, the state one build leaves for the next, and the build cache."""
