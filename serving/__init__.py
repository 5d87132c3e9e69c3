"""serving: the ``brain`` command line (``serving.cli``) and the prediction API.

Contract at the boundary
------------------------
In: command-line arguments and files under the data contracts (see ``features``), and the MLflow
registry's ``champion`` versions. Out: printed tables, written files (Parquet/CSV/PNG) and exit
codes (0 ok, 2 bad input with one readable message, never a traceback for bad input).
"""
