graph rulesets/pricing --format svg
