-- Tests that fail, to show what rulec test prints (t/golden/rulesets/failing_test).
schema { variables = { user = { age = "int", tier = "string" } } }
decision "discount" {
  type = "double", default = "0.0",
  rule "gold" { priority = 20, when = [[ user.tier == 'gold' ]], value = "0.15" },
  rule "senior" { priority = 10, when = [[ user.age >= 65 ]], value = "0.10" },
}
validation "no-discount-for-minors" {
  expr = [[ !(user.age < 18 && discount > 0.0) ]],
  message = [[ 'a minor gets ' + string(discount) ]],
}
test "passes" { context = { user = { age = 70, tier = "basic" } }, expect = { discount = 0.10 }, rules = { discount = "senior" } }
test "wrong value" { context = { user = { age = 70, tier = "gold" } }, expect = { discount = 0.10 } }
test "wrong rule" { context = { user = { age = 30, tier = "basic" } }, rules = { discount = "gold" } }
test "unexpected violation" { context = { user = { age = 12, tier = "gold" } }, violations = {} }
