"""Indexing: parse sources, chunk, embed, write the keyword and vector indexes, swap in."""
