eval rulesets/hits --ctx rulesets/hits/order.json --explain
