diff rulesets/pricing rulesets/broken-types --cases contexts/pricing-cases.jsonl
