graph rulesets/graph-hostile --ctx rulesets/graph-hostile/who.json --decision bad_edges
