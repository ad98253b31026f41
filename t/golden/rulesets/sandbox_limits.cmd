check rulesets/sandbox-loop rulesets/sandbox-memory
