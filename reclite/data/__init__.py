"""The data layer: IdMap, Dataset, the readers, the demo and synthetic data.

=======================  ================================================================
module                   holds
=======================  ================================================================
``idmap``, ``dataset``   :class:`IdMap`, :class:`Dataset`
``multihot``             :class:`MultiHot` and the helpers that keep arrays frozen
``_side``                attaching item attributes and vectors to a Dataset by raw id
``_files``               a data file's bytes and text: compression, encodings;
                         :func:`read_text_lines`
``_table``               a delimited text (or parquet) file as a table: separator
                         sniffing, the header, line-located errors
``_columns``             checked columns (ids, values, times) -> the Dataset
``generic``              :func:`read_csv`, and the column names :func:`read_dataset` knows
``movielens``            :func:`read_movielens`
``competition``          :func:`read_movie_competition`
``lastfm``               HetRec 2011 Last.fm
``attributes``           :func:`read_item_attributes`, :func:`read_item_vectors` (item
                         side information of any kind, attached by raw id)
``detect``               :func:`read_dataset`: which layout a path holds
``demo``, ``synthetic``  the embedded demo data and the seeded generator
=======================  ================================================================

A reader for a new layout is a module of its own beside ``movielens``: it reads its
files with :func:`~reclite.data._table.read_text_table`, checks columns with
:mod:`reclite.data._columns` and ends in :func:`~reclite.data._columns.build_dataset`;
``detect`` learns to recognise it.

Readers
-------
Any CSV/TSV/parquet file of interactions, MovieLens folders, the movie-competition layout,
HetRec Last.fm. Every reader checks what it reads and stops at the first problem with one
:class:`~reclite.errors.DataError` that says **which file**, **which line**,
**which column**, **what value** and **what was expected**, for example::

    data/ratings.csv: line 3: column 'rating' has 'abc'; expected a number
    data/ratings.csv: line 7: column 'movieId' is empty; expected an item id (4 such rows in all)
    data/ratings.csv: no column 'user'; the file's columns are 'userId', 'movieId', 'rating', 'timestamp'. ...

Conventions (the same in every reader)
--------------------------------------
Line numbers
    ``line N`` counts the lines of the file as an editor shows them: line 1 is the
    first line, which is the header line when the file has one, so the first data row
    of a file with a header is line 2. Blank lines are skipped when reading but still
    counted. (A quoted field that spans several lines is counted as one line.)
    Parquet files have no lines: they report ``row N``, the 1-based data row.
    When several rows break the same rule, the message adds ``(N such rows in all)``.
    When several columns have problems, the error is about the earliest row.
Ids
    User and item ids must not be empty (or only spaces). Ids that look like integers
    are read as integers (so ``007`` and ``7`` are the same id, and so are ``7.0`` and
    ``7``); anything else is text, exactly as written: ``NA``, ``null``, ``nan``,
    ``True`` or ``1.5`` are ids like any other, not missing values, booleans or numbers.
Values (rating, weight, count...)
    Must be finite numbers ``>= 0`` (at most 3.4e38: values are kept as float32): an
    empty cell, text, ``inf`` or a negative number is an error (reclite reads a value as the strength of positive feedback; shift or
    drop negative feedback before reading). ``True``/``False`` read as 1/0.
Timestamps
    Numbers (Unix seconds or any integer clock; a fraction is truncated) or ISO 8601
    dates such as ``2024-01-31 12:00:00`` (turned into Unix seconds, UTC). The first
    non-empty value decides which; empty and unreadable times are errors.
Duplicates
    Repeated (user, item) pairs are merged by :meth:`Dataset.from_frame`: the latest
    interaction by time is kept (file order breaks ties and decides when there is no
    time), and a :class:`~reclite.errors.DataWarning` naming the file gives the count.
Compression
    Chosen by the file name's last suffix: ``.gz`` (gzip), ``.bz2`` (bzip2), ``.xz``
    and ``.lzma``. A truncated archive (``truncated gzip archive``), a file whose
    suffix does not match its content (``not a gzip file (it looks like plain text)``,
    ``not a gzip file but a bzip2 archive``), damaged data (``corrupt gzip archive``)
    and an archive without its suffix are each one DataError naming the file, whichever
    part of the reader meets the problem first.
Encoding
    Without ``encoding=``: a UTF-16 or UTF-32 byte-order mark (little- or big-endian)
    makes the file read in that encoding; otherwise UTF-8 (a byte-order mark is
    allowed), and a file that is not valid UTF-8 is read as Windows-1252 (cp1252, which
    agrees with Latin-1 on every printable Latin-1 character and adds '€', curly
    quotes...), else as Latin-1, as the older MovieLens files need. Text with NUL bytes
    is refused: UTF-16/UTF-32 without a byte-order mark is named (``looks like UTF-16-LE
    text without a byte-order mark; pass encoding='utf-16-le'``), anything else is
    called binary. With ``encoding=``, that encoding is used, and bytes it cannot read
    are a DataError naming the line; an unknown name is a ParameterError.
    :func:`read_text_lines` (id lists such as users files) follows the same rules.
"""

from ._files import read_text_lines
from .attributes import read_item_attributes, read_item_vectors
from .competition import read_movie_competition
from .dataset import Dataset, MultiHot
from .detect import read_dataset
from .generic import read_csv
from .idmap import IdMap
from .movielens import read_movielens

__all__ = ["Dataset", "MultiHot", "IdMap", "read_csv", "read_movielens", "read_movie_competition",
           "read_dataset", "read_text_lines", "read_item_attributes", "read_item_vectors"]
