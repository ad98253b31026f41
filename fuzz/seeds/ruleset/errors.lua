-- Misuse the loader reports: includes of itself, a schema that is not JSON, cycles.
include "rules.lua"
schema "rules.lua"
decision "a" { type = "int", rule "r" { value = [[ b + 1 ]] } }
decision "b" { type = "int", hit = "frist", rule "s" { value = [[ a ]] } }
decision "c" { type = "lisst(int)", aggregate = "sum", rule "t" { when = [[ 1 ]] } }
validation "v" { expr = [[ a > 0 ]], severity = "fatal", message = 3 }
test "t" { context = "rules.lua", expect = { zz = 1 } }
rule "stray" { when = [[ true ]] }
local x = nil
local y = x.field
