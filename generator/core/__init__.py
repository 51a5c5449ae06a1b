"""Shared ground every stage stands on: the data model, settings, URL map, memos and process helpers."""
