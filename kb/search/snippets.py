"""Snippets: the window of a chunk with the most query terms, with matches marked. Pure."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from functools import lru_cache

from kb.indexer.analysis import SEPARATOR
from kb.model import Snippet

WORD = re.compile(r"\w+(?:[.\-']\w+)*")
# The same words captured, so that splitting a text by them keeps both words and gaps.
WORD_PARTS = re.compile(f"({WORD.pattern})")
SPACES = re.compile(r"\s+")
# A Markdown table's pipes and rule rows (`| --- |`) read as noise between a snippet's
# words: each run of them becomes one separator.
TABLE_SYNTAX = re.compile(r"\s*\|[\s|:-]*")
CELL_SEPARATOR = " · "
# A list item's bullet or a heading's hashes at the start of a line: the chunker keeps them
# (they are its structure), but a snippet reads as prose, so each becomes a sentence break.
LINE_MARKER = re.compile(r"\n[ \t]*(?:[-*+]|#{1,6})[ \t]+")
# Emphasis, code and strike-through marks a chunk may still hold (unpaired ones, or text
# indexed before the chunker removed them).
INLINE_MARKUP = re.compile(r"\*+|`+|~~")
# A line that ends like this needs no separator before the next item.
SENTENCE_ENDS = frozenset(".;:!?…")
ELLIPSIS = "…"
# Chunks whose words are kept split: a KB's popular sections come back query after query.
CHUNKS_CACHED = 4096
# Distinct words whose openings are kept (a KB's vocabulary, bounded).
WORDS_CACHED = 50_000
# How many folded first letters of a word are compared with a query term's.
OPENING = 3
# Where dotted and hyphenated words are filed: any query may match one of their parts.
COMPOUND = "\0compound"


def make_snippet(text: str, is_match: Callable[[str], bool], width: int = 32) -> Snippet:
    """Pick the `width`-word window holding the most distinct matching words and mark them.

    `is_match` decides whether a word matches the query; each distinct word is asked once.
    """
    return snippet_of(text, {word for word in distinct_words(text) if is_match(word)}, width)


def snippet_of(text: str, matching: AbstractSet[str], width: int = 32) -> Snippet:
    """The `width`-word window of `text` holding the most distinct words of `matching`, marked."""
    parts = _parts(text)
    # parts alternates gaps and words: gap, word, gap, ..., word, gap; word i is parts[2i + 1].
    words = parts[1::2]
    if not words:
        return Snippet(((text.strip(), False),)) if text.strip() else Snippet(())
    positions = [index for index, word in enumerate(words) if word in matching]
    start = _best_window(words, positions, width)
    end = min(len(words), start + width)
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append((ELLIPSIS, False))
    cursor = 2 * start + 1
    for index in positions[bisect_left(positions, start) :]:
        if index >= end:
            break
        place = 2 * index + 1
        if place > cursor:
            pieces.append((_between("".join(parts[cursor:place])), False))
        pieces.append((parts[place], True))
        cursor = place + 1
    last = 2 * end
    if last > cursor:
        pieces.append((_between("".join(parts[cursor:last])), False))
    if end < len(words):
        pieces.append((ELLIPSIS, False))
    return Snippet(tuple(_merge(pieces)))


def _between(text: str) -> str:
    """The text between two words as a snippet shows it: prose, without Markdown's syntax.

    Table pipes and line markers become separators, emphasis and code marks go, and runs of
    spaces collapse.
    """
    text = LINE_MARKER.sub(_line_break, TABLE_SYNTAX.sub(CELL_SEPARATOR, text))
    return SPACES.sub(" ", INLINE_MARKUP.sub("", text))


def _line_break(marker: re.Match[str]) -> str:
    """What replaces a list bullet or heading mark: a space after a sentence, else a separator."""
    before = marker.string[: marker.start()].rstrip()
    return " " if before and before[-1] in SENTENCE_ENDS else CELL_SEPARATOR


class QueryWords:
    """Which words of a text match one query, asking the analyzers only about likely words.

    A word matches when the analyzers make of it a term the query has (`word_terms` gives a
    word's terms, so stemming and accent folding carry over). Stems keep the first letters
    of their word, so a word whose first folded letters begin no query term cannot match and
    is never analysed; unless it is dotted or hyphenated, since its parts count too
    ("e-mail" matches "mail"). A word's openings are worked out once (cached), so a text
    costs one set lookup per distinct word: most hits are chunks a searcher meets for the
    first time, and filing each one's words by opening cost more than the scan it saved.
    """

    def __init__(self, word_terms: Callable[[str], AbstractSet[str]], terms: AbstractSet[str]):
        self._word_terms = word_terms
        self._terms = frozenset(terms)
        self._openings = frozenset({term[:OPENING] for term in self._terms} | {COMPOUND})

    def matching(self, text: str) -> set[str]:
        """The distinct words of `text` that match the query."""
        openings, terms, word_terms = self._openings, self._terms, self._word_terms
        return {
            word
            for word in distinct_words(text)
            if not openings.isdisjoint(_word_openings(word))
            and not terms.isdisjoint(word_terms(word))
        }


@lru_cache(maxsize=CHUNKS_CACHED)
def distinct_words(text: str) -> frozenset[str]:
    """The words of `text` as snippets count them, each once."""
    return frozenset(_parts(text)[1::2])


@lru_cache(maxsize=CHUNKS_CACHED)
def _parts(text: str) -> list[str]:
    """`text` split into gaps and words, alternating, a gap first and last (maybe empty).

    One regular-expression split in C: a chunk met for the first time costs a few
    microseconds, not a Python tuple per word.
    """
    return WORD_PARTS.split(text)


@lru_cache(maxsize=WORDS_CACHED)
def _word_openings(word: str) -> frozenset[str]:
    """A word's 1 to OPENING first folded letters; COMPOUND too when dotted or hyphenated."""
    folded = fold(word)
    openings = {folded[:length] for length in range(1, min(OPENING, len(folded)) + 1)}
    if SEPARATOR.search(folded) is not None:
        openings.add(COMPOUND)
    return frozenset(openings)


def fold(word: str) -> str:
    """Lower case without accents, as the analyzers fold words."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def _best_window(words: list[str], positions: list[int], width: int) -> int:
    """The first start of a `width`-word window holding the most distinct matching words.

    Only the matching words are visited: a window's count can rise only where a matching
    word enters it, so the first richest window starts at 0 or `width - 1` words before a
    match.
    """
    if not positions:
        return 0
    keys = {index: words[index].lower() for index in positions}
    last_start = max(0, len(words) - width)
    starts = [0] + [
        position - width + 1 for position in positions if 1 <= position - width + 1 <= last_start
    ]
    best_start, best_count = 0, -1
    for start in starts:
        first = bisect_left(positions, start)
        inside = positions[first : bisect_left(positions, start + width, first)]
        count = len({keys[index] for index in inside})
        if count > best_count:
            best_start, best_count = start, count
    if best_count > 0:
        first_match = positions[bisect_left(positions, best_start)]
        # Start a few words before the first match, never losing a match from the window.
        best_start = max(best_start, min(first_match - 3, len(words) - width))
    return best_start


def _merge(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for text, hit in pieces:
        if merged and merged[-1][1] == hit and not hit:
            merged[-1] = (merged[-1][0] + text, hit)
        else:
            merged.append((text, hit))
    return merged
