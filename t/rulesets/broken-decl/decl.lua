-- Declarations used wrongly: all reported in one load.
schema { variables = { user = { age = "int" } } }

decision "a" {
  type = "int", hit = "frist", prority = 3,
  rule "dup" { when = [[ true ]], value = [[ b + 1 ]] },
}
decision "b" {
  type = "int",
  rule "dup" { value = [[ c * 2 ]] },
}
decision "c" {
  type = "int",
  rule "rc" { value = [[ a ]] },
}
decision "user" { type = "int" }
decision "two words" { type = "int" }
decision "collected" { type = "string", hit = "collect", rule "x" { value = [['x']] } }
decision "novalue" { type = "string", rule "nv" { when = [[ true ]] } }
rule "stray" { when = [[ true ]], value = "1" }
validation "v" { expr = [[ a > 0 ]], severity = "fatal" }
validation "v" { expr = [[ a > 1 ]] }
test "t" { context = { user = { age = "old" } }, expect = { aa = 1 }, violations = { "w" } }
include "../outside.lua"
