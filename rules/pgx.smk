# pgx stage: rules are added by the pgx work.
