eval rulesets/pricing --cases contexts/pricing-cases.jsonl
