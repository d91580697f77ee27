# reference stage: rules are added by the reference work.
