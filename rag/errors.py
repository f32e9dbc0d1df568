"""The errors users see; the edges turn them into clean messages and exit codes."""


class RagError(Exception):
    """Base class for errors with a message meant for the user."""


class IndexNotFoundError(RagError):
    """No index exists at the given directory."""


class IndexMismatchError(RagError):
    """The index was built with another embedder or format than requested."""


class InputError(RagError):
    """A question, file or setting that cannot be used as given."""


class ModelError(RagError):
    """The local model file is missing, fails verification, or its server cannot start."""


class ModelDownloadError(ModelError):
    """The model's packages could not be downloaded from PyPI (no network)."""
