check rulesets/no-such-dir
