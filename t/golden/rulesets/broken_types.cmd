check rulesets/broken-types
