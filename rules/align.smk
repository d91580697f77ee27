# align stage: rules are added by the align work.
