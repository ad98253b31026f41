diff rulesets/pricing rulesets/pricing-v2 --cases contexts/pricing-cases.jsonl
