"""Files on disk: atomic writes, the safetensors format and a model's weights as named arrays.

These are the primitives that saving and the checkpointing callbacks share; they import
nothing above the engine.
"""
