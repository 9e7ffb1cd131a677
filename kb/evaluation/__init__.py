"""Measuring kb: retrieval quality on BEIR-format folders and deflection calibration."""
