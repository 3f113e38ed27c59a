"""Data-parallel training over MPI ranks (placeholder until the core package is merged)."""
