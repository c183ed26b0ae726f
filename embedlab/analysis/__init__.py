"""Analyses over embeddings: one topic per module, each with typed results."""
