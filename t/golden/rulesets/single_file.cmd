check rulesets/pricing/pricing.lua
