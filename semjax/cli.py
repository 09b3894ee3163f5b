"""The ``semjax`` command: parse arguments, call the public API, write files. No science here."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    from semjax import __version__
    from semjax.gallery import FIGURES

    parser = argparse.ArgumentParser(prog="semjax", description=(
        "Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2019)."))
    parser.add_argument("--version", action="version", version=f"semjax {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    figures = commands.add_parser("figures", help="reproduce the gallery of figures as PNG files")
    figures.add_argument("--out", default="figures", help="output folder (default: figures)")
    figures.add_argument("--only", nargs="+", choices=sorted(FIGURES), metavar="NAME",
                         help=f"only these figures: {', '.join(FIGURES)}")
    figures.add_argument("--quick", action="store_true",
                         help="tiny sizes, for a smoke test (seconds)")
    figures.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv=None) -> int:
    """Entry point of the ``semjax`` console script."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "figures":
        from semjax.gallery import make_figures
        paths = make_figures(arguments.out, names=arguments.only, quick=arguments.quick,
                             progress=not arguments.no_progress)
        for path in paths:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
