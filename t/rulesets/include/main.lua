-- include runs a file of the ruleset once and returns what it returns.
local lib = include "lib/thresholds.lua"
local again = include "lib/thresholds.lua"
assert(lib == again, "include returns the same value")
schema { variables = { user = { age = "int" } } }
decision "adult" { type = "bool", default = "false", rule "r" { when = "user.age >= " .. lib.adult } }
test "adult" { context = { user = { age = lib.adult } }, expect = { adult = true } }
