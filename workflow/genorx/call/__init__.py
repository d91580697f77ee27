"""Call stage: target positions, their read evidence and status (variant / ref / no_call)."""
