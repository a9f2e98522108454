"""Load scripts, run from the repository root as `.venv/bin/python bench/<script>.py`.

A package so that the scripts share their helpers as `bench.<module>` (each script puts the
repository root on sys.path first).
"""
