"""Pharmacogenomic knowledge base: fetch, mirror, build (compact project format) and load."""
