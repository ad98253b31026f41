-- Record types, lists and maps in the schema; decisions of record and list type.
schema {
  types = { Edge = { from = "string", to = "string", weight = "int" } },
  variables = { graph = { edges = "list(Edge)", name = "string" }, attrs = "map(string, int)" },
}
local function decide(name, header, rules)
  for _, r in ipairs(rules) do header[#header + 1] = r end
  decision(name)(header)
end
decide("heavy", { type = "list(Edge)", hit = "collect" }, {
  rule "e1" { value = [[ Edge{from: 'a', to: 'b', weight: 3} ]] },
  rule "e2" { when = [[ graph.edges.exists(e, e.weight > 2) ]], value = [[ graph.edges[0] ]] },
})
decision "total" {
  type = "int", default = [[ 0 ]],
  rule "sum" { when = [[ size(heavy) > 0 ]], value = [[ heavy.map(e, e.weight)[0] + attrs['k'] ]] },
}
test "edges" {
  context = { graph = { edges = { { from = "x", to = "y", weight = 5 } }, name = "g" }, attrs = { k = 1 } },
  expect = { total = 4 },
  rules = { total = "sum" },
}
