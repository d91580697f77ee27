"""Traffic-light action of a therapy row, from data in ``resources/rules/actions.json``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from genorx.errors import input_error
from genorx.paths import bundled

ACTIONS_FILE = bundled("rules/actions.json")


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    label: str
    light: str
    rank: int
    task: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class ActionRules:
    name: str
    version: str
    actions: dict[str, Action]
    flags: tuple[tuple[str, str], ...]
    flags_none_action: str
    no_action_classifications: frozenset[str]
    text_rules: tuple[tuple[str, re.Pattern[str]], ...]
    text_none_action: str
    dose_direction: tuple[tuple[re.Pattern[str], dict[str, str]], ...]

    def action(self, action_id: str) -> Action:
        return self.actions[action_id]

    def classify(self, text: str | None, classification: str | None, flags: dict[str, bool]) -> str:
        """Action id of a PGx recommendation (see the description in the rules file)."""
        if classification and classification.strip().lower() in self.no_action_classifications:
            return "info"
        if flags:
            for flag, action in self.flags:
                if flags.get(flag):
                    return action
            return self.flags_none_action
        if text:
            hits = [
                (m.start(), self.actions[a].rank, a) for a, rx in self.text_rules if (m := rx.search(text))
            ]
            if hits:
                return min(hits)[2]
        return self.text_none_action if text else "info"

    def task_code(self, action_id: str, text: str | None) -> dict[str, str] | None:
        """The MedicationRecommendation Task code for an action (None: no task)."""
        task = self.actions[action_id].task
        if task is None:
            return None
        if action_id == "adjust" and text:
            for rx, code in self.dose_direction:
                if rx.search(text):
                    return code
        return dict(task)


def _compile(path: Path, where: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise input_error(path, where, f"invalid regular expression ({exc})", "correct the pattern") from exc


def parse_action_rules(doc: dict[str, Any], path: Path) -> ActionRules:
    fix = "restore resources/rules/actions.json from the repository"
    try:
        actions = {
            a["id"]: Action(a["id"], a["label"], a["light"], int(a["rank"]), a.get("task"))
            for a in doc["actions"]
        }
        flags = tuple((f["flag"], f["action"]) for f in doc["flags"])
        text_rules = tuple(
            (r["action"], _compile(path, f"text_rules[{i}]", r["pattern"]))
            for i, r in enumerate(doc["text_rules"])
        )
        dose = tuple(
            (
                _compile(path, f"dose_direction[{i}]", d["pattern"]),
                {k: d[k] for k in ("system", "code", "display")},
            )
            for i, d in enumerate(doc["dose_direction"])
        )
        rules = ActionRules(
            name=doc["name"],
            version=doc["version"],
            actions=actions,
            flags=flags,
            flags_none_action=doc["flags_none_action"],
            no_action_classifications=frozenset(c.lower() for c in doc["no_action_classifications"]),
            text_rules=text_rules,
            text_none_action=doc["text_none_action"],
            dose_direction=dose,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise input_error(path, None, f"malformed action rules ({exc!r})", fix) from exc
    used = (
        {a for _, a in flags} | {a for a, _ in text_rules} | {rules.flags_none_action, rules.text_none_action}
    )
    unknown = used - set(actions) - {"info"}
    if unknown or not {"info", "not_assessed", "consider"} <= set(actions):
        raise input_error(path, None, f"unknown or missing action ids {sorted(unknown)}", fix)
    return rules


@cache
def load_action_rules(path: str | None = None) -> ActionRules:
    p = Path(path) if path else ACTIONS_FILE
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise input_error(
            p, None, f"cannot read action rules ({exc})", "restore it from the repository"
        ) from exc
    return parse_action_rules(doc, p)
