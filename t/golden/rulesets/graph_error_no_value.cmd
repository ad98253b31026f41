graph rulesets/graph-hostile --ctx rulesets/graph-hostile/who.json --decision nothing
