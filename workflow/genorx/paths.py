"""Where bundled resources live, independent of the working directory.

Two layouts are supported:

- a checkout (``pip install -e .``, or the source tree on ``sys.path``): the package is
  ``<checkout>/workflow/genorx`` and the resources are ``<checkout>/resources/{kb,rules}`` and
  ``<checkout>/config/schemas``;
- an installed wheel (``pip install .``, a container, a user's venv): the same files ship as
  package data under ``genorx/_bundled/`` (symlinks in the checkout, ``_bundled/resources/kb ->
  ../../../../resources/kb`` etc., that the build copies), laid out as in the checkout.

``REPO_ROOT`` (alias ``WORKFLOW_ROOT``) is the first of the two that holds the bundled KB: the
checkout when this module runs from one, else the installed ``_bundled`` folder. Code that needs
``resources/...`` or ``config/schemas/...`` joins it to this root, so both layouts work alike.
Only the KB, the rule sets and the config schemas are packaged; the Snakemake workflow itself
(Snakefile, rules/, envs/) is run from a checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# workflow/genorx -> repository root (an editable install or a checkout).
CHECKOUT_ROOT = PACKAGE_DIR.parent.parent
# Copies of resources/kb, resources/rules and config/schemas inside an installed package.
PACKAGED_ROOT = PACKAGE_DIR / "_bundled"
_MARKER = Path("resources") / "kb" / "kb.json"


def _is_checkout(root: Path) -> bool:
    return (
        PACKAGE_DIR.parent.name == "workflow"
        and (root / "Snakefile").is_file()
        and (root / _MARKER).is_file()
    )


def find_workflow_root() -> Path:
    """The checkout when this package runs from one, else the packaged copy (see module doc)."""
    if _is_checkout(CHECKOUT_ROOT):
        return CHECKOUT_ROOT
    if (PACKAGED_ROOT / _MARKER).is_file():
        return PACKAGED_ROOT
    return CHECKOUT_ROOT  # neither: paths below name the checkout's files in errors


REPO_ROOT = find_workflow_root()
WORKFLOW_ROOT = REPO_ROOT
INSTALLED = REPO_ROOT == PACKAGED_ROOT
RESOURCES = REPO_ROOT / "resources"
BUNDLED_KB = RESOURCES / "kb"
CONFIG_SCHEMAS = REPO_ROOT / "config" / "schemas"


def bundled(relative: str) -> Path:
    """Path of a file under ``resources/`` shipped with the workflow."""
    return RESOURCES / relative
