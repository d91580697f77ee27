# report stage: rules are added by the report work.
