-- What the sandbox leaves out, and that nothing here can reach a file.
schema { variables = { n = "int" } }
local missing = {}
for _, name in ipairs({ "io", "os", "debug", "package", "require", "load", "loadfile", "dofile", "collectgarbage", "print" }) do
  if _G[name] ~= nil then missing[#missing + 1] = name end
end
for _, name in ipairs({ "find", "match", "gmatch", "gsub", "dump" }) do
  if string[name] ~= nil then missing[#missing + 1] = "string." .. name end
end
decision "leaks" { type = "list(string)", default = "[" .. table.concat((function()
  local q = {} for i, m in ipairs(missing) do q[i] = quote(m) end return q end)(), ", ") .. "]" }
test "nothing of io, os, debug, package or load is reachable" { context = { n = 1 }, expect = { leaks = {} } }
