"""Preprocessing layers (TextVectorization)."""
