-- Every hit policy on one context (see t/golden/rulesets/hits_eval).
schema {
  variables = { order = { amount = "double", items = "list(string)", country = "string" } },
}

local big = 100.0

decision "first_match" {        -- first (the default): the highest priority that matches
  type = "string", default = [['none']],
  rule "low"  { priority = 1,  when = [[ order.amount > 10.0 ]], value = [['low']] },
  rule "high" { priority = 50, when = "order.amount > " .. string.format("%.1f", big), value = [['high']] },
  rule "tie"  { priority = 50, when = [[ true ]], value = [['tie']] },   -- same priority, declared later
}

decision "only_one" {            -- unique: two matches are an error
  type = "int", hit = "unique",
  rule "u1" { when = [[ order.amount > 1.0 ]], value = 1 },
  rule "u2" { when = [[ order.amount > 2.0 ]], value = 2 },
}

decision "agree" {               -- any: every match gives the same value
  type = "string", hit = "any",
  rule "a1" { when = [[ order.country == 'CN' ]], value = [['asia']] },
  rule "a2" { when = [[ 'gift' in order.items ]], value = [['asia']] },
}

decision "labels" {              -- collect: every match's value, in priority order
  type = "list(string)", hit = "collect",
  rule "l-gift"  { priority = 1, when = [[ 'gift' in order.items ]], value = [['gift']] },
  rule "l-big"   { priority = 9, when = [[ order.amount > 100.0 ]], value = [['big']] },
  rule "l-never" { priority = 5, when = [[ false ]], value = [['never']] },
}

decision "fees" {                -- collect with sum
  type = "double", hit = "collect", aggregate = "sum",
  rule "f-base"  { value = 1.5 },
  rule "f-intl"  { when = [[ order.country != 'DE' ]], value = [[ 2.0 ]] },
  rule "f-large" { when = [[ size(order.items) > 2 ]], value = [[ 0.25 * double(size(order.items)) ]] },
}

decision "cheapest" {            -- collect with min
  type = "double", hit = "collect", aggregate = "min",
  rule "c1" { value = [[ fees * 2.0 ]] },
  rule "c2" { value = [[ order.amount / 100.0 ]] },
}

decision "flags" {               -- collect with count: how many rules match
  type = "int", hit = "collect", aggregate = "count",
  rule "n1" { when = [[ order.amount > 0.0 ]] },
  rule "n2" { when = [[ labels.exists(l, l == 'big') ]] },
  rule "n3" { when = [[ order.country == 'US' ]] },
}

decision "nothing" {             -- no match and no default: an explicit outcome
  type = "bool",
  rule "never" { when = [[ order.amount < 0.0 ]] },
}

decision "downstream" {          -- reads a decision that has no value
  type = "bool",
  rule "d" { when = [[ nothing ]] },
}

decision "broken" {              -- a run-time error, positioned in this file
  type = "int",
  rule "div" { when = [[ true ]], value = [[ 10 / (size(order.items) - 3) ]] },
}

validation "fees-cover-big-orders" {
  expr = [[ order.amount < 100.0 || fees >= 4.0 ]],
  message = [[ 'fees ' + string(fees) + ' are too low for an order of ' + string(order.amount) ]],
  severity = "warning",
}
