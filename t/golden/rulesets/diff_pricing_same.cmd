diff rulesets/pricing rulesets/pricing --cases contexts/pricing-cases.jsonl --fail-on-change
