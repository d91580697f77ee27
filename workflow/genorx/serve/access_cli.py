"""``genorx access``: issue, revoke and list report access tokens; define sample groups.

``add`` prints the new token once on stdout (nothing else goes to stdout) and stores only its
SHA-256 hash; everything else is reported on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from genorx.errors import input_error
from genorx.serve.access import AccessTable, TokenEntry, hash_token, load_access, new_token, update_access
from genorx.serve.ids import valid_group, valid_principal, valid_sample_id


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genorx access", description="Manage report access tokens.")
    sub = p.add_subparsers(dest="command", required=True)

    add = sub.add_parser("add", help="issue a token for a principal (printed once, stored as a hash)")
    add.add_argument("--access", required=True, type=Path, help="access file (created if missing)")
    add.add_argument("--principal", required=True, help="who holds the token (name or e-mail)")
    add.add_argument("--sample", action="append", default=[], help="sample id it may read (repeatable)")
    add.add_argument("--group", action="append", default=[], help="sample group it may read (repeatable)")
    add.add_argument("--note", default="", help="free text kept with the entry (never the token)")

    rev = sub.add_parser("revoke", help="revoke every token of a principal, or one token by hash")
    rev.add_argument("--access", required=True, type=Path)
    who = rev.add_mutually_exclusive_group(required=True)
    who.add_argument("--principal", help="revoke all of this principal's tokens")
    who.add_argument("--token-hash", help="revoke one token by its SHA-256 (or a unique prefix of >= 8)")

    lst = sub.add_parser("list", help="list principals, token-hash prefixes and what they may read")
    lst.add_argument("--access", required=True, type=Path)
    lst.add_argument("--json", action="store_true", help="JSON instead of a table")

    grp = sub.add_parser("group", help="define (or with --delete remove) a named group of samples")
    grp.add_argument("--access", required=True, type=Path)
    grp.add_argument("--group", required=True, help="group name")
    grp.add_argument("--sample", action="append", default=[], help="member sample id (repeatable)")
    grp.add_argument("--delete", action="store_true", help="remove the group")
    return p


def _check_ids(values: list[str], ok: Callable[[str], bool], what: str) -> None:
    for v in values:
        if not ok(v):
            raise input_error(
                f"--{what}", None, f"malformed {what} {v!r}", "use letters, digits, '.', '_', '-' (max 64)"
            )


def _add(args: argparse.Namespace) -> int:
    if not valid_principal(args.principal):
        raise input_error("--principal", None, f"malformed principal {args.principal!r}", "use e.g. dr-smith")
    _check_ids(args.sample, valid_sample_id, "sample")
    _check_ids(args.group, valid_group, "group")
    if not args.sample and not args.group:
        raise input_error("genorx access add", None, "no --sample or --group given", "grant at least one")
    token = new_token()
    entry = TokenEntry(
        token_sha256=hash_token(token),
        principal=args.principal,
        samples=tuple(dict.fromkeys(args.sample)),
        groups=tuple(dict.fromkeys(args.group)),
        created=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        note=args.note,
    )
    table = update_access(args.access, lambda t: replace(t, tokens=(*t.tokens, entry)))
    undefined = [g for g in entry.groups if g not in table.groups]
    print(token, flush=True)
    print(
        f"genorx access: token {entry.token_sha256[:12]} issued to {entry.principal}; "
        "it is shown only now, store it safely",
        file=sys.stderr,
    )
    if undefined:
        print(
            f"genorx access: warning: group(s) {', '.join(undefined)} have no members yet; "
            "define them with 'genorx access group'",
            file=sys.stderr,
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    removed: list[TokenEntry] = []

    def change(table: AccessTable) -> AccessTable:
        if args.principal is not None:
            hit = [e for e in table.tokens if e.principal == args.principal]
            if not hit:
                raise input_error(args.access, None, f"no token for principal {args.principal!r}", "see list")
        else:
            prefix = args.token_hash.strip().lower()
            hit = [e for e in table.tokens if e.token_sha256.startswith(prefix)] if len(prefix) >= 8 else []
            if len(hit) != 1:
                problem = "no token matches" if not hit else "several tokens match"
                raise input_error(args.access, None, f"{problem} hash {prefix!r}", "give >= 8 hex digits")
        removed.extend(hit)
        return replace(table, tokens=tuple(e for e in table.tokens if e not in hit))

    if not args.access.exists():
        raise input_error(args.access, None, "access file not found", "check --access")
    update_access(args.access, change)
    for e in removed:
        print(f"genorx access: revoked token {e.token_sha256[:12]} of {e.principal}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    table = load_access(args.access)
    rows = [
        {
            "principal": e.principal,
            "token_sha256": e.token_sha256[:12],
            "samples": list(e.samples),
            "groups": list(e.groups),
            "created": e.created,
            "note": e.note,
        }
        for e in table.tokens
    ]
    if args.json:
        print(json.dumps({"tokens": rows, "groups": {k: list(v) for k, v in table.groups.items()}}, indent=2))
        return 0
    print("principal\ttoken_sha256\tsamples\tgroups\tcreated\tnote")
    for r in rows:
        print("\t".join([r["principal"], r["token_sha256"], ",".join(r["samples"]) or "-",
                         ",".join(r["groups"]) or "-", r["created"] or "-", r["note"] or "-"]))  # fmt: skip
    for name, members in table.groups.items():
        print(f"# group {name}: {','.join(members) or '-'}")
    return 0


def _group(args: argparse.Namespace) -> int:
    _check_ids([args.group], valid_group, "group")
    _check_ids(args.sample, valid_sample_id, "sample")
    if args.delete == bool(args.sample):
        raise input_error("genorx access group", None, "give --sample ID... or --delete", "one of the two")

    def change(table: AccessTable) -> AccessTable:
        groups = dict(table.groups)
        if args.delete:
            if groups.pop(args.group, None) is None:
                raise input_error(args.access, None, f"no group {args.group!r}", "see 'genorx access list'")
        else:
            groups[args.group] = tuple(dict.fromkeys(args.sample))
        return replace(table, groups=groups)

    update_access(args.access, change)
    action = "deleted" if args.delete else f"set to {len(set(args.sample))} sample(s)"
    print(f"genorx access: group {args.group} {action}", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"add": _add, "revoke": _revoke, "list": _list, "group": _group}
    return handlers[args.command](args)
