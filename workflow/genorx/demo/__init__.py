"""The embedded demo: a small GRCh38-named genome, patients with planted variants, reads, truth."""
