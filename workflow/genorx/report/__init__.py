"""Per-patient therapy table and reports (TSV, JSON, HTML, FHIR) and the cohort summary."""
