"""The login page, and the chat's CSS and JavaScript: files shipped with the package.

Kept out of Python strings so that an editor reads them as HTML, CSS and JavaScript. Each
``.js`` file is one function (or, for ``cite-links.js``, one script) that Gradio runs in the
browser. ``read`` returns a file's text, from a checkout or an installed wheel alike;
``$name`` placeholders (``string.Template``) are filled in by the module that reads the file.
"""

from __future__ import annotations

from importlib.resources import files


def read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
