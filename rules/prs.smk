# prs stage: rules are added by the prs work.
