eval rulesets/pricing --ctx rulesets/pricing/order.json --explain --format json
