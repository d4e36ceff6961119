"""Executes every notebook here top to bottom (what CI does).

Usage: python3 notebooks/run_all.py  (CODEXSIM=path/to/codexsim to choose the binary)
Exits non-zero at the first cell that fails.
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

here = Path(__file__).resolve().parent
failed = False
for path in sorted(here.glob("*.ipynb")):
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}})
    try:
        client.execute()
        print(f"ok   {path.name}")
    except Exception as e:  # the cell's error, with its traceback
        print(f"FAIL {path.name}: {e}")
        failed = True
sys.exit(1 if failed else 0)
