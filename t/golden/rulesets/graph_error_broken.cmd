graph rulesets/broken-types
