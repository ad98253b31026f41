graph rulesets/pricing --ctx rulesets/pricing/order.json --format dot
