test rulesets/failing-tests
