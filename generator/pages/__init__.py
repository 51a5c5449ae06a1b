"""Plan: the page-kind registry turns the index into the list of pages to make."""
