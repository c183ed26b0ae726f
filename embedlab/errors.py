"""One exception hierarchy: the UI shows these with ``st.error``, the CLI exits non-zero."""

from __future__ import annotations

from collections.abc import Sequence


class EmbedlabError(Exception):
    """Base of every error EmbedLab reports to a user."""


class UnknownBackendError(EmbedlabError, KeyError):
    """A backend name that is not in the registry."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = list(known)
        super().__init__(f"Unknown model {name!r}. Known models: {', '.join(self.known)}.")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class BackendUnavailableError(EmbedlabError):
    """A registered backend whose library or weights are missing on this machine."""

    def __init__(self, name: str, reason: str, install_hint: str) -> None:
        self.name = name
        self.reason = reason
        self.install_hint = install_hint
        super().__init__(f"Model {name!r} is not available: {reason}. To get it: {install_hint}")


class WrongBackendKindError(EmbedlabError):
    """A word model used where a text model is needed, or the other way round."""


class EncoderOutputError(EmbedlabError):
    """A model returned vectors that fail the output check (wrong shape, NaN, not unit length)."""


class OutOfVocabularyError(EmbedlabError, KeyError):
    """Words a word model does not know. They are named, never replaced by zero vectors."""

    def __init__(self, words: Sequence[str], model: str) -> None:
        self.words = list(words)
        self.model = model
        shown = ", ".join(repr(w) for w in self.words[:20])
        more = f" and {len(self.words) - 20} more" if len(self.words) > 20 else ""
        super().__init__(f"Not in the vocabulary of {model!r}: {shown}{more}.")

    def __str__(self) -> str:
        return self.args[0]


class InputError(EmbedlabError, ValueError):
    """User input that cannot be used as given (empty, too many items, bad parameter)."""


class BadUploadError(InputError):
    """An uploaded file that failed validation; the message names the problem and where."""


class DimensionMismatchError(EmbedlabError, ValueError):
    """Vectors of a different dimension than the collection or model expects."""


class ApiEmbeddingError(EmbedlabError):
    """A remote embedding endpoint failed: unreachable, refused, rate-limited past the time
    limit, or its answer did not hold the vectors asked for. Names the endpoint and the status."""

    def __init__(self, endpoint: str, status: str) -> None:
        self.endpoint, self.status = endpoint, status
        super().__init__(f"The embedding endpoint {endpoint} failed: {status}.")


class StoreError(EmbedlabError):
    """A problem with the vector store."""


class StoreLockedError(StoreError):
    """The embedded store is owned by another process."""


class CollectionDamagedError(StoreError):
    """A collection whose stored index cannot be read (a write was killed half-way, a disk
    fault): a problem of that collection alone, named with how to get rid of it."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        super().__init__(
            f"Collection {name!r} cannot be read: its stored index is damaged ({reason[:200]}). The other collections are"
            f" not affected. Delete it (`embedlab delete {name}`, or Explore → Collections → Delete) and ingest its data"
            " again to rebuild it."
        )


class CollectionNotFoundError(StoreError, KeyError):
    """A collection name that does not exist in the store."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        known_text = ", ".join(known) if known else "none yet"
        super().__init__(f"No collection named {name!r}. Collections: {known_text}.")

    def __str__(self) -> str:
        return self.args[0]
