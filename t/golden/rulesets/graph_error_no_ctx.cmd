graph rulesets/pricing --decision discount
