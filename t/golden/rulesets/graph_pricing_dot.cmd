graph rulesets/pricing --format dot
