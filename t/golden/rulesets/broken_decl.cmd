check rulesets/broken-decl
