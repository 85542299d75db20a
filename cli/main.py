"""The ``reclite`` command: a typer app; each command lives in its own module.

Heavy imports (numba kernels, implicit, surprise) happen inside command bodies so
``reclite -h`` is instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

import reclite

app = typer.Typer(
    name="reclite",
    help="Top-K recommendation from implicit feedback: fit, recommend, evaluate.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reclite {reclite.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Top-K recommendation from implicit feedback: fit, recommend, evaluate."""


# --- command registration: one module per command group -------------------
from . import data as _data  # noqa: E402

_data.register(app)
from . import fit as _fit  # noqa: E402, I001
_fit.register(app)
from . import recommend as _recommend  # noqa: E402, I001
_recommend.register(app)
from . import models as _models  # noqa: E402, I001
_models.register(app)
from . import evaluate as _evaluate  # noqa: E402, I001
_evaluate.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
