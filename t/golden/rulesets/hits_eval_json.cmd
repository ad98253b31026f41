eval rulesets/hits --ctx rulesets/hits/order.json --format json
