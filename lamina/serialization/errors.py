"""The error every failed load of a lamina model or weights file raises."""


class ModelFileError(ValueError):
    """A model file, weights file or JSON config that lamina refuses or cannot load.

    Raised for damaged or hostile files (a bad zip, an odd member name, a member over its size
    cap, a checksum mismatch, an invalid safetensors header), for configs that name classes
    lamina does not know, and for weights that do not fit the model. The message names the file
    and the problem. Errors of the file system itself (a missing file, no permission) stay
    `OSError`s.

    Example:
    >>> try:
    ...     lamina.models.load_model("broken.keras")
    ... except lamina.saving.ModelFileError as e:
    ...     print(e)
    """
