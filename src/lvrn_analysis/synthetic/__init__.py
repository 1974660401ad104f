"""Synthetic test beds in the exact real formats, with their ground truth.

Used only where no real source can be had; every table built from them is marked
synthetic in the manifest, and every page says so.
"""
