"""The ``reclite`` command: a typer app; each command lives in its own module.

Heavy imports (numba kernels, implicit, surprise) happen inside command bodies so
``reclite -h`` is instant. The root group (:class:`._common.BoundaryGroup`) is the error
boundary: every exception becomes one ``Error: ...`` line and an exit code chosen by its
class (1; usage errors 2; Ctrl-C 130); ``reclite --debug ...`` or ``RECLITE_DEBUG=1``
shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import reclite

from ._common import DEBUG_ENV, BoundaryGroup, boundary

app = typer.Typer(
    cls=BoundaryGroup,
    name="reclite",
    help="Top-K recommendation from implicit feedback: fit, recommend, evaluate.\n\n"
         "Errors are one line on stderr starting with 'Error:' (exit code 1; usage errors 2; "
         "Ctrl-C 130); rerun with --debug for the traceback. Every command's --help ends with "
         "examples.\n\n"
         "Example:\n\n"
         "    reclite fit als --confidence genre+pop --out reclite-model\n\n"
         "    reclite recommend -k 10",
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
    debug: Annotated[bool, typer.Option(
        "--debug", help=f"On an error, print the full traceback instead of one 'Error:' line "
                        f"(also: environment variable {DEBUG_ENV}=1). Goes before the command: "
                        "reclite --debug fit ...")] = False,
) -> None:
    """Top-K recommendation from implicit feedback: fit, recommend, evaluate."""
    # --debug is read by BoundaryGroup.invoke from the parsed root parameters


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
from . import tune as _tune  # noqa: E402, I001
_tune.register(app)
from . import ensemble as _ensemble  # noqa: E402, I001
_ensemble.register(app)
from . import split as _split  # noqa: E402, I001
_split.register(app)
from . import runs as _runs  # noqa: E402, I001
_runs.register(app)
from . import model_info as _model_info  # noqa: E402, I001
_model_info.register(app)


def main() -> None:
    """The console script. The root group is the error boundary; this outer one only
    catches what could escape click before a command runs (it never should)."""
    try:
        with boundary():
            app()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
