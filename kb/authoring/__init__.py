"""Knowledge authoring: the pure form logic (forms) and the editor over files and history."""

from kb.authoring.editor import Authoring, Opened, Saved
from kb.authoring.files import write_atomically
from kb.authoring.forms import (
    DUPLICATE_COSINE,
    ArticleForm,
    DiffLine,
    FormError,
    ReviewItem,
    allowed_statuses,
    compose,
    diff_lines,
    form_for,
    form_from_ticket,
    front_matter_keys,
    review_reasons,
    slug_for,
)

__all__ = [
    "DUPLICATE_COSINE",
    "ArticleForm",
    "Authoring",
    "DiffLine",
    "FormError",
    "Opened",
    "ReviewItem",
    "Saved",
    "allowed_statuses",
    "compose",
    "diff_lines",
    "form_for",
    "form_from_ticket",
    "front_matter_keys",
    "review_reasons",
    "slug_for",
    "write_atomically",
]
