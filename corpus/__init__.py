"""Documents: import, canonical text and blocks, versions, the search index."""
