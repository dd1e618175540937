"""Recommendations: per-member models over paper features, baselines, and their evaluation."""
