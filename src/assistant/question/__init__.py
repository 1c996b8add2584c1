"""How a question is understood, once, before anything is searched.

``query.understand(text, history=..., stats=..., limit=...) -> Query``: clean, validate, rewrite
a follow-up (``followup``), detect English, restore diacritics (``restore``), analyse
(``analysis``: terms, places, years and periods, figures, acronyms, the kind of answer wanted,
from ``kinds`` and ``places``). Every later stage reads the Query; none works the text again.
"""
