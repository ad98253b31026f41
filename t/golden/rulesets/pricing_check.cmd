check rulesets/pricing
