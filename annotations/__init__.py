"""Annotations, accounts, sources, claims and reviews: the product's domain."""
