test rulesets/pricing rulesets/include rulesets/sandbox-api
