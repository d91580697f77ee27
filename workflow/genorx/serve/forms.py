"""The four report forms, their files and content types, and ``Accept`` negotiation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Form:
    """One served representation of a sample's report."""

    name: str  # the ``format=`` value
    filename: str  # fixed file name inside results/{sample}/
    media_type: str  # what ``Accept`` matches against
    content_type: str  # the Content-Type header sent
    disposition: str  # inline | attachment


FORMS: dict[str, Form] = {
    "html": Form("html", "report.html", "text/html", "text/html; charset=utf-8", "inline"),
    "json": Form("json", "report.json", "application/json", "application/json", "inline"),
    "tsv": Form(
        "tsv",
        "therapy.tsv",
        "text/tab-separated-values",
        "text/tab-separated-values; charset=utf-8",
        "attachment",
    ),
    "fhir": Form("fhir", "report.fhir.json", "application/fhir+json", "application/fhir+json", "inline"),
}
DEFAULT_FORM = FORMS["html"]
# Server preference among equally acceptable forms (e.g. ``Accept: */*`` or ``application/*``).
_PREFERENCE = ("html", "json", "fhir", "tsv")


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """``Accept`` as (media range, q) pairs; malformed q-values count as 0."""
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                q = q if 0.0 <= q <= 1.0 else 0.0
        ranges.append((media, q))
    return ranges


def _specificity(media_range: str, media_type: str) -> int:
    """How specifically ``media_range`` matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 no."""
    if media_range == media_type:
        return 2
    kind, _, sub = media_range.partition("/")
    if sub == "*" and kind == media_type.split("/")[0]:
        return 1
    if media_range in {"*/*", "*"}:
        return 0
    return -1


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1); 0 when none does."""
    best_spec, best_q = -1, 0.0
    for media_range, q in ranges:
        spec = _specificity(media_range, media_type)
        if spec > best_spec:
            best_spec, best_q = spec, q
    return best_q if best_spec >= 0 else 0.0


def negotiate(format_param: str | None, accept: str | None) -> Form | None:
    """The form to serve: ``format=`` wins over ``Accept``; None when nothing acceptable (406)."""
    if format_param is not None:
        return FORMS.get(format_param.strip().lower())
    if accept is None or not accept.strip():
        return DEFAULT_FORM
    ranges = _media_ranges(accept)
    scored = [(_quality(ranges, FORMS[n].media_type), -i, FORMS[n]) for i, n in enumerate(_PREFERENCE)]
    q, _, form = max(scored, key=lambda t: (t[0], t[1]))
    return form if q > 0.0 else None
