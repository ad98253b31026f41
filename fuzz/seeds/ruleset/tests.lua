-- Tests of every shape: expectations, rule ids, violations, a failing one.
schema { variables = { user = { age = "int", tier = "string", tags = "list(string)" } } }
decision "discount" {
  type = "double", hit = "first", default = "0.0", description = "by tier, then age",
  rule "gold" { priority = 20, when = [[ user.tier == 'gold' ]], value = "0.15", tags = { "tier" } },
  rule "senior" { priority = 10, when = [[ user.age >= 65 ]], value = "0.10", description = "65+" },
}
validation "minor" {
  expr = [[ !(user.age < 18 && discount > 0.0) ]],
  message = [[ 'a minor gets ' + string(discount) ]],
  severity = "warning",
}
test "senior" { context = { user = { age = 70, tier = "basic", tags = {} } }, expect = { discount = 0.10 }, rules = { discount = "senior" } }
test "minor" { context = { user = { age = 12, tier = "gold", tags = { "x" } } }, violations = { "minor" } }
test "wrong" { context = { user = { age = 30, tier = "basic" } }, expect = { discount = 0.5 }, rules = { discount = "default" } }
