"""assistant: cited Vietnamese answers over news articles on provincial foreign affairs.

Public API (the CLI and the chat UI are built on these and nothing else)::

    from assistant import load_settings, build_index, Assistant
    settings = load_settings(corpus_dir="corpus", index_dir="index")
    build_index(settings)
    answer = Assistant.open(settings).ask("Sở Ngoại vụ Hà Nội được thành lập khi nào?")
"""

from .config import Settings, load_settings
from .documents import Answer, Chunk, Citation, Document, ScoredChunk
from .errors import AssistantError

__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: keep `import assistant` light (no FAISS, no models)
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "build_index":
        from .index import build_index

        return build_index
    raise AttributeError(name)


__all__ = [
    "Answer", "Assistant", "AssistantError", "Chunk", "Citation", "Document", "ScoredChunk", "Settings",
    "build_index", "load_settings", "__version__",
]
