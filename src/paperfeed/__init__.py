"""paperfeed: self-hosted research-paper discovery (arXiv ingest, search, daily papers, digests)."""

__version__ = "0.1.0"
