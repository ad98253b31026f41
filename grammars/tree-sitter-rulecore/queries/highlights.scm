; Highlights for the rulecore expression language (CEL syntax).
;
; Order matters: when several patterns capture the same node, the one that
; comes LAST in this file wins (tree-sitter >= 0.22 highlighter and Neovim).
; General patterns therefore come first and more specific ones after them.
;
; String and bytes literals are single tokens (escapes are decoded later, in
; C), so there is no @string.escape.

; Identifiers
; -----------

(identifier) @variable

; Fields
; ------

(select_expression
  field: (identifier) @property)

(field_initializer
  name: (identifier) @property)

(escaped_identifier) @property

; Functions
; ---------

; f(x), .f(x)
(call_expression
  !receiver
  function: (identifier) @function)

; a.f(x), .a.f(x), f(x).g(y)
(call_expression
  receiver: (_)
  function: (identifier) @function.method)

; Struct construction
; -------------------

; a.b.Type{...}: the segments before the type are package names (up to three
; of them are recognized).
(struct_expression
  type: (select_expression
    operand: [
      (identifier) @module
      (absolute_identifier
        name: (identifier) @module)
    ]))

(struct_expression
  type: (select_expression
    operand: (select_expression
      operand: [
        (identifier) @module
        (absolute_identifier
          name: (identifier) @module)
      ]
      field: (identifier) @module)))

(struct_expression
  type: (select_expression
    operand: (select_expression
      operand: (select_expression
        operand: [
          (identifier) @module
          (absolute_identifier
            name: (identifier) @module)
        ]
        field: (identifier) @module)
      field: (identifier) @module)))

; Type{...}, .Type{...}, a.b.Type{...}
(struct_expression
  type: (identifier) @type)

(struct_expression
  type: (absolute_identifier
    name: (identifier) @type))

(struct_expression
  type: (select_expression
    field: (identifier) @type))

; Literals
; --------

[
  (int_literal)
  (uint_literal)
  (double_literal)
] @number

[
  (string_literal)
  (bytes_literal)
] @string

[
  (true)
  (false)
  (null)
] @constant.builtin

; Punctuation
; -----------

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket

[
  ","
  ":"
  "."
] @punctuation.delimiter

; Operators
; ---------

[
  "!"
  "-"
  "*"
  "/"
  "%"
  "+"
  "<"
  "<="
  ">"
  ">="
  "=="
  "!="
  "&&"
  "||"
] @operator

; The `:` of `a ? b : c` is an operator, not the map/struct delimiter.
(conditional_expression
  [
    "?"
    ":"
  ] @operator)

"in" @keyword.operator

; Comments
; --------

(comment) @comment
