"""Group: reports of one event from several outlets become one story."""
