"""A folder written by ``reclite split``: its files, how to recognise it, and its item catalogue.

Shared by ``split`` (which writes it) and ``evaluate`` (which reads the catalogue).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPLIT_FILE = "split.json"
#: every item id of the data (with or without interactions): evaluate's catalogue for coverage
CATALOGUE_FILE = "items.csv"
SPLIT_DIRECTORY = "a folder written by reclite split"


def is_split_directory(path: Path) -> bool:
    """True when ``path/split.json`` says ``reclite split`` wrote the folder."""
    try:
        meta = json.loads((Path(path) / SPLIT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("written_by") == "reclite split"


def read_catalogue(part_file: Path) -> Any:
    """The item ids of the data a part file was split from (``items.csv`` of its reclite split
    folder, or of the folder above for a kfold part), or None when it is not in one."""
    import numpy as np
    import pandas as pd

    for folder in (part_file.parent, part_file.parent.parent):
        if is_split_directory(folder) and (folder / CATALOGUE_FILE).is_file():
            ids = pd.read_csv(folder / CATALOGUE_FILE, dtype=str, keep_default_na=False)["item"]
            as_int = pd.to_numeric(ids, errors="coerce")
            if len(ids) and as_int.notna().all() and (as_int == np.round(as_int)).all():
                return as_int.to_numpy(dtype=np.int64)
            return ids.to_numpy(dtype=str)
    return None
