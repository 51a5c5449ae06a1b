"""The image mirror: outlets' pictures fetched once, resized and published from the site."""
