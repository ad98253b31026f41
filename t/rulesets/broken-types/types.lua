-- Type errors in every kind of Lua string; each is reported at its token.
schema "types.schema.json"

decision "tier" {
  type = "string", default = "'basic'",
  rule "short"   { when = "user.agee > 18", value = "'adult'" },
  rule "escaped" { when = "user.name == \"A\\tB\" && user.nmae != ''", value = "'x'" },
  rule "long"    { when = [[ user.age > 18 && user.city = 'Beijing' ]], value = [['y']] },
  rule "multi"   { when = [==[
      user.age > 18 &&
      user.city.startsWith(1)
    ]==], value = [['z']] },
  rule "wrongvalue" { when = [[ true ]], value = [[ user.age ]] },
  rule "notbool" { when = [[ user.age ]], value = [['w']] },
  rule "generated" { when = "user.age > " .. "'eighteen'", value = [['v']] },
}

validation "message-type" {
  expr = [[ tier != 'x' ]],
  message = [[ 42 ]],
}
