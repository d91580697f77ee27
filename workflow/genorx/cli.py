"""``genorx <command> ...``: one entry point, one module per stage.

Each stage module is imported only when its command runs (numba and polars are slow
to import), and exposes ``main(argv: list[str]) -> int``. A :class:`GenorxError` becomes
a one-line ``genorx: error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import sys

from genorx import __version__
from genorx.errors import GenorxError

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("genorx.demo.cli", "generate the embedded demo (reference, patients, reads, truth)"),
    "check": ("genorx.checks.cli", "validate inputs before work starts (FASTQ pairs, contigs, sheets)"),
    "targets": ("genorx.call.cli", "target-position status (variant / ref / no_call) from BAM + VCF"),
    "kb": ("genorx.kb.cli", "fetch, mirror and build pharmacogenomic knowledge bases"),
    "pgx": ("genorx.pgx.cli", "star-allele diplotypes, phenotypes and drug recommendations"),
    "prs": ("genorx.prs.cli", "polygenic scores: match, score, reference percentiles"),
    "report": ("genorx.report.cli", "therapy table, HTML report, FHIR bundle, cohort summary"),
    "serve": ("genorx.serve.cli", "serve per-sample reports over authenticated HTTP"),
    "access": ("genorx.serve.access_cli", "create and revoke report access tokens"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = [f"usage: genorx <command> [options]   (genorx {__version__})", "", "commands:"]
    lines += [f"  {name:<{width}}  {desc}" for name, (_, desc) in COMMANDS.items()]
    lines += ["", "Run 'genorx <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"genorx {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        choices = ", ".join(COMMANDS)
        print(f"genorx: error: unknown command {name!r}; choose one of: {choices}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except GenorxError as exc:
        print(f"genorx: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("genorx: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
