graph rulesets/pricing
