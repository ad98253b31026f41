decision "e" {
  type = "int",
  rule "s" { value = [[ n ]] }
-- the closing brace is missing
