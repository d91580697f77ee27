"""Pharmacogenomics: definitions -> matcher -> phenotyper -> recommender."""
