-- collect with every aggregate, unique and any, on absent variables.
schema { variables = { n = "int", xs = "list(int)", s = "string" } }
decision "total" { type = "int", hit = "collect", aggregate = "sum",
  rule "t1" { value = [[ 1 ]] }, rule "t2" { when = [[ n > 0 ]], value = [[ n ]] } }
decision "least" { type = "int", hit = "collect", aggregate = "min",
  rule "l1" { value = [[ total ]] }, rule "l2" { value = [[ xs[0] ]] } }
decision "most" { type = "double", hit = "collect", aggregate = "max",
  rule "m1" { value = [[ 1.5 ]] }, rule "m2" { value = [[ double(least) ]] } }
decision "hits" { type = "int", hit = "collect", aggregate = "count",
  rule "h1" { when = [[ true ]] }, rule "h2" { when = [[ s.startsWith('x') ]] } }
decision "one" { type = "string", hit = "unique",
  rule "o1" { when = [[ total > 0 ]], value = [['a']] }, rule "o2" { when = [[ hits > 0 ]], value = [['b']] } }
decision "same" { type = "bool", hit = "any",
  rule "s1" { value = [[ true ]] }, rule "s2" { value = [[ most > 1.0 ]] } }
test "n" { context = { n = 2, xs = { 5 }, s = "xy" }, expect = { total = 3, least = 3, hits = 2 } }
