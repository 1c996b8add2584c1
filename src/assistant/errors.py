"""The exceptions the library raises on purpose; the CLI and UI catch them in one place.

    AssistantError                 every expected failure; ``hint`` says what to do next
    ├── ConfigError                a bad setting or configuration file
    ├── CorpusError                no corpus, an empty corpus, no readable file in it
    ├── IndexMissingError          no index built yet
    ├── IndexMismatchError         index built with another embedder or chunker
    ├── IndexCorruptError          an index folder that cannot be read or fails its checksums
    ├── IndexLockedError           another build holds the index's lock for too long
    ├── StoreError                 the vector store (Milvus) cannot be reached or opened
    ├── QuestionError              an empty or over-long question, a k out of range
    ├── PromptError                a template that cannot be rendered strictly
    ├── BriefingError              a briefing's question file that cannot be read
    └── BackendError               an answer or embedding backend that is missing or failed
"""

from __future__ import annotations


class AssistantError(Exception):
    """``str(exc)`` is the English message; ``hint`` what to do next; ``vi`` the message in
    Vietnamese, for the chat (the English one where none was written)."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "", vi: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint
        self.vi = vi or message

    def described(self) -> str:
        """One line: the message and, in brackets, the hint."""
        return f"{self} ({self.hint})" if self.hint else str(self)


class ConfigError(AssistantError):
    pass


class CorpusError(AssistantError):
    pass


class IndexMissingError(AssistantError):
    hint = 'build it with "assistant index"'


class IndexMismatchError(AssistantError):
    hint = 'rebuild it with "assistant index --rebuild"'


class IndexCorruptError(AssistantError):
    hint = 'rebuild it with "assistant index --rebuild"'


class IndexLockedError(AssistantError):
    hint = "wait for the other \"assistant index\" to finish, or stop it"


class StoreError(AssistantError):
    pass


class QuestionError(AssistantError):
    pass


class PromptError(AssistantError):
    pass


class BriefingError(AssistantError):
    pass


class BackendError(AssistantError):
    pass
