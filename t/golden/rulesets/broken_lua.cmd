check rulesets/broken-lua
