-- Labels that break naive diagram writers (see t/golden/rulesets/graph_hostile*):
-- quotes, <, >, &, |, #, backticks, backslashes, newlines, Chinese text, and
-- names that are Mermaid keywords; edge lists of records and of maps; a
-- decision that fails, one that matches nothing, validations that fail.
schema {
  types = { Edge = { from = "string", to = "string", label = "string" } },
  variables = {
    who = { name = "string", note = "string" },
    ["end"] = { x = "int" },   -- a Mermaid keyword, as a variable name
  },
}

decision "echo" {
  type = "string",
  description = "the note, quoted: 引号",
  rule [[say "hi" <b>&amp;</b> | #1]] { when = [[ who.note != '' ]],
    value = [[ 'said "' + who.note + '" <to> ' + who.name + ' & | # `x` \\ 中文\nsecond line' ]] },
  rule "empty" { value = [[ '' ]] },
}

decision "edges" {
  type = "list(Edge)",
  rule "drawn" {
    value = [[ [Edge{from: 'end', to: 'a "quoted" <node>', label: 'x|y <z> & #1 中文'},
                Edge{from: 'a "quoted" <node>', to: 'graph', label: ''},
                Edge{from: 'graph', to: 'end', label: 'back\\slash\nnew line'},
                Edge{from: 'subgraph', to: 'o-x', label: who.name}] ]],
  },
}

decision "map_edges" {
  type = "list(map(string, string))",
  rule "maps" { value = [[ [{'from': 'a', 'to': 'b', 'label': echo}, {'from': 'b', 'to': 'c'}] ]] },
}

decision "bad_edges" {
  type = "list(map(string, string))",
  rule "no-to" { value = [[ [{'from': 'a'}] ]] },
}

decision "broken" {
  type = "int",
  rule "divide" { value = [[ 10 / (size(who.name) - size(who.name)) ]] },
}

decision "broken_edges" {
  type = "list(Edge)",
  rule "fails" { value = [[ [Edge{from: string(broken), to: 'b', label: ''}] ]] },
}

decision "nothing" {
  type = "list(Edge)",
  rule "never" { when = [[ who.name == 'nobody' ]], value = [[ [] ]] },
}

decision "names" {
  type = "list(string)",
  rule "list" { value = [[ [who.name, string(end.x)] ]] },
}

validation [[weird "id" <v> & | #x 中文]] {
  expr = [[ echo == '' ]],
  message = [[ 'echo was "' + echo + '" <not empty> & | #' ]],
}

validation "warn-only" {
  severity = "warning",
  expr = [[ size(who.name) < 3 ]],
  message = [[ 'name ' + who.name + ' is long' ]],
}
