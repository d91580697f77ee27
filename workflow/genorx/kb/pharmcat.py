"""Read PharmCAT's data layout (a fetched KB) into the typed KB model.

Layout (as in PharmCAT's ``src/main/resources``): ``definition/alleles/<GENE>_translation.json``
(+ ``exemptions.json``), ``phenotype/<GENE>.json`` and ``reporter/guidelines/<SOURCE>_*.json``.
Phenotype maps list every diplotype with its phenotype; they are reduced here to rules
keyed on the two alleles' lookup keys (function or activity value), which is what the
maps encode (the build checks that no two diplotypes with the same keys disagree).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from genorx.errors import GenorxError, input_error
from genorx.kb.model import (
    AlleleFunction,
    Guideline,
    LookupValue,
    PhenotypeMap,
    PhenotypeRule,
    Recommendation,
    rule_key,
)
from genorx.pgx.definitions import read_json

NA = "n/a"


def is_pharmcat_dir(path: Path) -> bool:
    return (path / "definition" / "alleles").is_dir()


def parse_phenotype_map(raw: dict[str, Any], where: Path | str) -> PhenotypeMap:
    """A :class:`PhenotypeMap` from one parsed ``phenotype/<GENE>.json``."""
    try:
        gene = raw["gene"]
        haplotypes: dict[str, str] = raw.get("haplotypes") or {}
        activity_values: dict[str, str] = raw.get("activityValues") or {}
        named = raw.get("namedAlleles")
        alleles: dict[str, AlleleFunction] = {}
        if named:
            for a in named:
                alleles[a["name"]] = AlleleFunction(
                    a.get("functionValue"), a.get("activityValue"), a.get("lookupKey")
                )
        else:  # older maps (e.g. G6PD) carry only name -> function
            for name, function in haplotypes.items():
                alleles[name] = AlleleFunction(function, activity_values.get(name), function)
        activity_gene = any(v and v.lower() != NA for v in activity_values.values())
        rules: dict[tuple[str, str | None], tuple[str, str, str | None]] = {}
        for row in raw.get("diplotypes") or ():
            names = [n for n, count in row["diplotypekey"].items() for _ in range(int(count))]
            keys = [_allele_key(alleles, n) for n in names]
            if len(keys) not in (1, 2) or any(k is None for k in keys):
                continue
            pair = rule_key(keys[0], keys[1] if len(keys) == 2 else None)  # type: ignore[arg-type]
            value = (row["generesult"], row["lookupkey"], row.get("activityScore"))
            previous = rules.setdefault(pair, value)
            if previous != value:
                raise GenorxError(
                    f"{where}: diplotype {row.get('diplotype')} gives {value[0]!r} but another "
                    f"diplotype with the same allele functions gives {previous[0]!r}; fix: this map "
                    "cannot be reduced to function rules, report it to the genorx maintainers"
                )
        return PhenotypeMap(
            gene=gene,
            version=str(raw.get("version") or ""),
            activity_gene=activity_gene,
            alleles=alleles,
            rules=tuple(
                PhenotypeRule(k[0], k[1], *rules[k]) for k in sorted(rules, key=lambda k: (k[0], k[1] or ""))
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise input_error(
            where,
            None,
            f"not a PharmCAT phenotype map ({type(exc).__name__}: {exc})",
            "fetch the knowledge base again",
        ) from None


def _allele_key(alleles: dict[str, AlleleFunction], name: str) -> str | None:
    fn = alleles.get(name)
    return None if fn is None else fn.key


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"p", "li", "h4", "br", "ul", "ol"}:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str | None) -> str | None:
    """Plain text of a recommendation's HTML (paragraphs and list items on their own lines)."""
    if not markup:
        return None
    parser = _TextExtractor()
    parser.feed(markup)
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def _lookup_value(value: Any) -> LookupValue:
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items()}
    return str(value)


def parse_guideline(raw: dict[str, Any], where: Path | str, with_prose: bool = True) -> Guideline:
    """A :class:`Guideline` from one parsed ``reporter/guidelines/*.json``."""
    try:
        g = raw["guideline"]
        recs = []
        for r in raw.get("recommendations") or ():
            cls = r.get("classification") or {}
            recs.append(
                Recommendation(
                    id=str(r["id"]),
                    drugs=tuple(c["name"] for c in r.get("relatedChemicals") or ()),
                    population=r.get("population"),
                    classification=cls.get("term") if isinstance(cls, dict) else cls,
                    lookup_key={gene: _lookup_value(v) for gene, v in (r.get("lookupKey") or {}).items()},
                    dosing_information=bool(r.get("dosingInformation")),
                    alternate_drug_available=bool(r.get("alternateDrugAvailable")),
                    other_prescribing_guidance=bool(r.get("otherPrescribingGuidance")),
                    text=html_to_text((r.get("text") or {}).get("html")) if with_prose else None,
                    implications=tuple(r.get("implications") or ()) if with_prose else None,
                )
            )
        return Guideline(
            id=str(g["id"]),
            name=g["name"],
            source=g["source"],
            version=str(g.get("version") or ""),
            url=g.get("url") or "",
            drugs=tuple(c["name"] for c in g.get("relatedChemicals") or ()),
            genes=tuple(x["symbol"] for x in g.get("relatedGenes") or () if x.get("symbol")),
            data_version=str(raw.get("version") or ""),
            pmids=tuple(str(c["pmid"]) for c in raw.get("citations") or () if c.get("pmid")),
            recommendations=tuple(recs),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise input_error(
            where, None, f"not a PharmCAT guideline file (missing {exc})", "fetch the knowledge base again"
        ) from None


def read_phenotype_maps(root: Path) -> dict[str, PhenotypeMap]:
    folder = root / "phenotype"
    if not folder.is_dir():
        raise input_error(
            folder, None, "folder not found", "fetch the knowledge base again (incomplete download)"
        )
    maps: dict[str, PhenotypeMap] = {}
    for path in sorted(folder.glob("*.json")):
        pm = parse_phenotype_map(read_json(path), path)
        maps[pm.gene] = pm
    return maps


def read_guidelines(root: Path, with_prose: bool = True) -> tuple[Guideline, ...]:
    folder = root / "reporter" / "guidelines"
    if not folder.is_dir():
        raise input_error(
            folder, None, "folder not found", "fetch the knowledge base again (incomplete download)"
        )
    return tuple(parse_guideline(read_json(p), p, with_prose) for p in sorted(folder.glob("*.json")))
