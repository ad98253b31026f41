check --format json rulesets/broken-decl
