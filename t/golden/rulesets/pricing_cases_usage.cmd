eval rulesets/pricing --cases contexts/pricing-cases.jsonl --decision shipping --ctx rulesets/pricing/order.json
