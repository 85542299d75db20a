"""Recommenders: one estimator interface over every model (see base.py)."""
