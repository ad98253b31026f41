-- Lua building declarations: quote, null, metatables, loops, string functions.
local names = {}
for i = 1, 5 do names[#names + 1] = quote("n" .. i .. "'\"\\") end
schema { variables = { v = "dyn", m = "map(string, string)" } }
local t = setmetatable({}, { __index = function(_, k) return "r-" .. k end })
decision "list" { type = "list(string)", default = "[" .. table.concat(names, ", ") .. "]",
  rule(t.x) { when = string.format("has(m.%s)", "key"), value = [==[ [m.key] ]==] } }
decision "nothing" { type = "dyn", rule "r" { when = [[ v == null ]], value = [[ null ]] } }
test "null" { context = { v = null, m = { key = "k" } }, expect = { list = { "k" }, nothing = null } }
local ok, err = pcall(error, { code = 1 })
assert(not ok and err.code == 1)
return utf8.char(72, 228) .. ("x"):rep(3) .. tostring(math.maxinteger // 3)
