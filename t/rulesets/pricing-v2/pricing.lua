-- rules/pricing/pricing.lua, changed: gold gets 0.12, seniors from 60 (for rulec diff's tests)
schema "pricing.schema.json"      -- or an inline table of the same shape as a schema file

decision "discount" {
  type = "double", hit = "first", default = "0.0",
  rule "gold"   { priority = 20, when = [[ user.tier == "gold" ]], value = "0.12" },
  rule "senior" { priority = 10, when = [[ user.age >= 60 ]],      value = "0.10" },
}

decision "shipping" {               -- reads another decision by name: a decision graph
  type = "string", default = [['standard']],
  rule "free" { when = [[ discount > 0.1 || order.amount > 200.0 ]], value = [['free']] },
}

validation "minor-discount" {       -- must hold; the message says why when it does not
  expr = [[ !(user.age < 18 && discount > 0.12) ]],
  message = [[ 'discount ' + string(discount) + ' is not allowed for minors' ]],
}
