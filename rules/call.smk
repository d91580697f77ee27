# call stage: rules are added by the call work.
