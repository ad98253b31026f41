eval rulesets/pricing --ctx rulesets/hits/order.json
