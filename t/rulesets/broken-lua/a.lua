-- a.lua: fine; b.lua has a syntax error, c.lua a run-time error: all three are reported.
schema { variables = { n = "int" } }
decision "d" { type = "int", rule "r" { value = [[ n + 1 ]] } }
