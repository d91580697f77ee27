"""Read the rules of the workflow from ``Snakefile`` and ``rules/*.smk`` without running Snakemake.

The files are snakefmt-formatted (tests/test_lint.py enforces it), so a rule is ``rule NAME:``
followed by more-indented ``directive:`` lines whose values are indented further still. This is
enough to know, per rule, which directives it declares and the text of each value. For a given
config, the module-level constants (``SCRIPTS = ...``) and a rule's ``conda:``/``params:``
expressions are evaluated, the shell command is rendered, and the programs it runs are collected,
following the workflow's own scripts (``workflow/scripts/*.sh``) and dropping ``case`` branches
that the rendered arguments do not select (``align.sh minimap2 ...`` runs minimap2, not bwa).
"""

from __future__ import annotations

import ast
import io
import re
import shlex
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RULE_RE = re.compile(r"^(?P<indent>\s*)(?:rule|checkpoint)\s+(?P<name>\w+)\s*:\s*(?:#.*)?$")
DIRECTIVE_RE = re.compile(r"^(?P<indent>\s+)(?P<key>\w+)\s*:(?P<rest>.*)$")
CONST_RE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)\s*=\s*(?P<expr>.*)$")


def _expr(text: str) -> str:
    """A directive value or constant as one parenthesised Python expression, comments removed."""
    try:
        tokens = [
            t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type != tokenize.COMMENT
        ]
        text = tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return "(" + text.strip().rstrip(",") + ")"


@dataclass
class Rule:
    name: str
    path: Path
    line: int
    indent: int = 0
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line} rule {self.name}"

    def literal(self, key: str) -> str | None:
        """A directive's value when it is a (possibly implicitly concatenated) string literal."""
        text = self.directives.get(key)
        if text is None:
            return None
        try:
            value = ast.literal_eval(_expr(text))
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, str) else None

    def strings(self, key: str) -> list[str]:
        """Every string constant inside a directive's value (f-strings and calls included)."""
        try:
            tree = ast.parse(_expr(self.directives.get(key, "")), mode="eval")
        except SyntaxError:
            return []
        return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]

    def keywords(self, key: str) -> dict[str, str]:
        """``name=expr`` pairs of a directive (``resources:``, ``params:``): name -> source text."""
        text = self.directives.get(key, "")
        try:
            call = ast.parse(f"f({text.strip().rstrip(',')})", mode="eval").body
        except SyntaxError:
            return {}
        if not isinstance(call, ast.Call):
            return {}
        return {kw.arg: ast.unparse(kw.value) for kw in call.keywords if kw.arg}

    def keyword_names(self, key: str) -> set[str]:
        return set(self.keywords(key))

    def evaluate(self, key: str, namespace: dict[str, Any]) -> Any:
        """A directive's value evaluated against module constants and ``config``; None if it can't be."""
        try:
            return eval(_expr(self.directives[key]), dict(namespace))
        except Exception:
            return None


@dataclass
class Workflow:
    rules: list[Rule]
    constants: list[tuple[str, str]]  # (name, expression) in file order
    repo: Path

    def namespace(self, config: dict[str, Any]) -> dict[str, Any]:
        """Module-level constants as they evaluate under ``config`` (those that can be evaluated)."""
        ns: dict[str, Any] = {"config": config, "WORKFLOW_DIR": self.repo, "Path": Path}
        for name, expr in self.constants:
            try:
                ns[name] = eval(_expr(expr), dict(ns))
            except Exception:
                continue
        return ns

    def render_shell(self, rule: Rule, namespace: dict[str, Any]) -> str:
        """The rule's shell command with constants and evaluable params filled in, other fields as X."""
        template = rule.literal("shell") or " ; ".join(rule.strings("shell"))
        params = {}
        for name, expr in rule.keywords("params").items():
            try:
                value = eval(expr, dict(namespace))
            except Exception:
                continue
            if isinstance(value, str | int | float):
                params[name] = str(value)

        def fill(match: re.Match[str]) -> str:
            field_name = match.group(1).split(",")[0].split(":")[0].strip()
            if field_name.startswith("params.") and field_name[7:] in params:
                return params[field_name[7:]]
            value = namespace.get(field_name)
            return str(value) if isinstance(value, str | int | float) else "X"

        return re.sub(r"(?<!\{)\{([^{}]+)\}(?!\})", fill, template).replace("{{", "{").replace("}}", "}")


def parse_file(path: Path) -> tuple[list[Rule], list[tuple[str, str]]]:
    rules: list[Rule] = []
    constants: list[tuple[str, str]] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        const = CONST_RE.match(lines[i])
        if const:
            expr = const["expr"]
            while _unbalanced(expr) and i + 1 < len(lines):
                i += 1
                expr += "\n" + lines[i]
            constants.append((const["name"], expr))
            i += 1
            continue
        match = RULE_RE.match(lines[i])
        if not match:
            i += 1
            continue
        base = len(match["indent"])
        rule = Rule(match["name"], path, i + 1, base)
        i += 1
        key: str | None = None
        dir_indent: int | None = None
        while i < len(lines):
            line = lines[i]
            if line.strip() == "" or line.strip().startswith("#"):
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= base:
                break
            directive = DIRECTIVE_RE.match(line)
            if directive and (dir_indent is None or indent == dir_indent):
                dir_indent = indent
                key = directive["key"]
                rest = directive["rest"].strip()
                rule.directives[key] = rest + "\n" if rest else ""
            elif key is not None:
                rule.directives[key] += line.strip() + "\n"
            i += 1
        rules.append(rule)
    return rules, constants


def _unbalanced(text: str) -> bool:
    depth = 0
    for ch in re.sub(r"(\"[^\"]*\"|'[^']*')", "", text):
        depth += ch in "([{"
        depth -= ch in ")]}"
    return depth > 0


def parse_workflow(repo: Path) -> Workflow:
    files = [repo / "Snakefile", *sorted((repo / "rules").glob("*.smk"))]
    rules: list[Rule] = []
    constants: list[tuple[str, str]] = []
    for path in files:
        if path.exists():
            file_rules, file_constants = parse_file(path)
            rules += file_rules
            constants += file_constants
    return Workflow(rules, constants, repo)


SHELL_BUILTINS = {
    "set", "export", "cd", "echo", "printf", "test", "[", "[[", "true", "false", "exit", "if", "then",
    "else", "elif", "fi", "for", "do", "done", "while", "until", "case", "esac", "in", "local", "read",
    "trap", "wait", "unset", "shift", "return", "{", "}", "!", "exec", "command", "source", ".", ":",
    "declare", "readonly", "let", "eval",
}  # fmt: skip
# POSIX/coreutils programs every runtime (host, container, conda activation) provides.
BASE_PROGRAMS = {
    "cat", "cp", "mv", "rm", "mkdir", "ln", "touch", "head", "tail", "sort", "uniq", "cut", "paste",
    "tr", "sed", "awk", "grep", "wc", "gzip", "zcat", "gunzip", "tee", "xargs", "basename", "dirname",
    "env", "date", "sleep", "ls", "find", "readlink", "realpath", "comm", "join", "split", "bash", "sh",
    "seq", "mktemp", "chmod", "stat", "du", "md5sum", "sha256sum", "nproc", "timeout", "flock", "rmdir",
}  # fmt: skip
WORD_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def _strip_comments(script: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in script.splitlines())


def _prune_case_branches(script: str, args: set[str]) -> str:
    """Drop ``case`` branches whose literal patterns name none of the script's arguments."""

    def prune_block(block: re.Match[str]) -> str:
        head, body = block.group(1), block.group(2)
        kept = []
        for branch in body.split(";;"):
            if not branch.strip():
                continue
            m = re.match(r"\s*\(?([^)\n]+)\)(.*)", branch, re.S)
            if m:
                patterns = [p.strip().strip("'\"") for p in m.group(1).split("|")]
                literal = all(WORD_RE.match(p) for p in patterns)
                if literal and not (set(patterns) & args):
                    continue
            kept.append(branch)
        bodies = [re.sub(r"^\s*\(?[^)\n]+\)", " ", b, count=1) for b in kept]
        return head + " ;; ".join(bodies) + " esac"

    return re.sub(r"(\bcase\b[^\n]*\bin\b)(.*?)\besac\b", prune_block, script, flags=re.S)


SEPARATORS = {";", ";;", "&&", "||", "|", "|&", "&", "(", ")"}
PREFIXES = {
    "time",
    "nice",
    "!",
    "{",
    "}",
    "then",
    "do",
    "else",
    "elif",
    "if",
    "while",
    "until",
    "exec",
    "command",
}
ASSIGNMENT_RE = re.compile(r"^\w+(\[\w*\])?\+?=")
FUNCTION_RE = re.compile(r"^\s*(?:function\s+)?([A-Za-z_]\w*)\s*\(\)", re.M)


def segments(command: str) -> list[list[str]]:
    """Simple commands of a shell text as token lists, command word first (assignments and
    keywords dropped); the TEXT of ``bash -c TEXT`` is read as commands too."""
    text = command.replace("\\\n", " ").replace("\n", " ; ").replace("`", " ; ")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:
        tokens = text.split()
    result: list[list[str]] = []
    current: list[str] = []
    for i, token in enumerate(tokens):
        if token in SEPARATORS or (token and set(token) <= set("();|&")):
            if current:
                result.append(current)
            current = []
            continue
        if not current and (token in PREFIXES or ASSIGNMENT_RE.match(token)):
            continue
        current.append(token)
        if i > 1 and tokens[i - 1] == "-c" and tokens[i - 2] in {"bash", "sh"}:
            result += segments(token)
    if current:
        result.append(current)
    return result


def programs(
    command: str, scripts_dir: Path, _functions: frozenset[str] = frozenset(), _depth: int = 0
) -> set[str]:
    """Programs a rendered shell command runs, following the workflow's scripts: a script's own
    commands (``case`` branches its arguments do not select dropped), and for a wrapper that ends
    in ``"$@"`` (``logged.sh LOG genorx ...``) the command it is given."""
    command = _strip_comments(command)
    functions = _functions | set(FUNCTION_RE.findall(command))
    found: set[str] = set()
    queue = segments(command)
    while queue:
        seg = queue.pop(0)
        word = seg[0]
        if word in SHELL_BUILTINS or word in functions or word.startswith("$") or re.match(r"^[\d<>&]", word):
            continue
        script = scripts_dir / Path(word).name
        if "/" in word and script.is_file():
            if _depth > 5:
                continue
            body = _prune_case_branches(_strip_comments(script.read_text()), set(seg[1:]))
            found |= programs(body, scripts_dir, frozenset(functions), _depth + 1)
            if re.search(r'^\s*"\$@"', body, re.M):
                skip = 1 + len(re.findall(r"^\s*shift\s*$", body, re.M))
                if len(seg) > skip:
                    queue.append(seg[skip:])
        elif WORD_RE.match(word) or "/" in word:
            found.add(word)
    return found
