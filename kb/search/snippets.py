"""Snippets: the window of a chunk with the most query terms, with matches marked. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable

from kb.model import Snippet

WORD = re.compile(r"\w+(?:[.\-']\w+)*")
ELLIPSIS = "…"


def make_snippet(text: str, is_match: Callable[[str], bool], width: int = 32) -> Snippet:
    """Pick the `width`-word window holding the most distinct matching words and mark them.

    `is_match` decides whether a word matches the query (the searcher passes one built
    from the keyword index's analyzers, so stemming and accent folding carry over).
    """
    words = list(WORD.finditer(text))
    if not words:
        return Snippet(((text.strip(), False),)) if text.strip() else Snippet(())
    matches = [is_match(word.group()) for word in words]
    start = _best_window(words, matches, width)
    end = min(len(words), start + width)
    begin_at = words[start].start()
    end_at = words[end - 1].end()
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append((ELLIPSIS, False))
    cursor = begin_at
    for index in range(start, end):
        word = words[index]
        if matches[index]:
            if word.start() > cursor:
                pieces.append((_spaces(text[cursor : word.start()]), False))
            pieces.append((word.group(), True))
            cursor = word.end()
    if end_at > cursor:
        pieces.append((_spaces(text[cursor:end_at]), False))
    if end < len(words):
        pieces.append((ELLIPSIS, False))
    return Snippet(tuple(_merge(pieces)))


def _best_window(words: list[re.Match[str]], matches: list[bool], width: int) -> int:
    """The first start of a `width`-word window holding the most distinct matching words.

    One pass: the window slides a word at a time, counting each matching word it holds.
    """
    keys = [
        word.group().lower() if match else "" for word, match in zip(words, matches, strict=True)
    ]
    held: dict[str, int] = {}

    def enter(index: int) -> None:
        if keys[index]:
            held[keys[index]] = held.get(keys[index], 0) + 1

    def leave(index: int) -> None:
        key = keys[index]
        if key:
            held[key] -= 1
            if not held[key]:
                del held[key]

    for index in range(min(width, len(words))):
        enter(index)
    best_start, best_count = 0, len(held)
    for start in range(1, max(1, len(words) - width + 1)):
        leave(start - 1)
        enter(start + width - 1)
        if len(held) > best_count:
            best_start, best_count = start, len(held)
    if best_count > 0:
        first = next(i for i in range(best_start, len(words)) if matches[i])
        # Start a few words before the first match, never losing a match from the window.
        best_start = max(best_start, min(first - 3, len(words) - width))
    return best_start


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _merge(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for text, hit in pieces:
        if merged and merged[-1][1] == hit and not hit:
            merged[-1] = (merged[-1][0] + text, hit)
        else:
            merged.append((text, hit))
    return merged
