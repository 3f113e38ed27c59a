"""The training loop and data adapters."""
