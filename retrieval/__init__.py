"""Retrieval: Vietnamese text handling, keyword and vector indexes, hybrid search."""
