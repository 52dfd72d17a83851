"""The corruption corpus (scripts/make_corpus.py), one generator module per format."""
