/**
 * @file Tree-sitter grammar for the rulecore expression language.
 *
 * The language is the Common Expression Language (CEL) as defined by
 * cel-spec's langdef.md: the same tokens, precedence and associativity.
 * Record types come from a rulecore schema instead of protobuf, which the
 * grammar does not care about: `Type{field: value}` parses the same.
 *
 * The grammar is deliberately a little more permissive than CEL where a
 * stricter rule would only make tree-sitter's error recovery worse; the
 * lowering pass (src/syntax.c) rejects these with positioned diagnostics:
 *   - reserved words used as identifiers (`if`, `let`, ...), which CEL still
 *     allows as field and method names;
 *   - a struct type that is not a dotted name (`a[0]{}`).
 * Two CEL parse errors are accepted as the obvious expression instead,
 * since neither is ambiguous: mixed unary operators (`!-x`, which the
 * checker rejects by type) and an unparenthesized `?:` in the middle
 * operand of another (`a ? b ? c : d : e`).
 */

const PREC = {
  conditional: 1,
  or: 2,
  and: 3,
  relation: 4,
  additive: 5,
  multiplicative: 6,
  unary: 7,
  member: 8,
};

const HEX = /[0-9a-fA-F]/;

/** Comma-separated list that may end with a trailing comma. */
function commaSep(rule) {
  return optional(seq(rule, repeat(seq(',', rule)), optional(',')));
}

/**
 * String body regexes. Escapes are matched as `\\` followed by any
 * character so that an invalid escape still lexes as one string token;
 * src/literal.c decodes the body and reports bad escapes with positions.
 */
const SHORT_DQ = /"([^"\\\n]|\\(.|\n))*"/;
const SHORT_SQ = /'([^'\\\n]|\\(.|\n))*'/;
const LONG_DQ = /"""([^"\\]|\\(.|\n)|"[^"\\]|"\\(.|\n)|""[^"\\]|""\\(.|\n))*"""/;
const LONG_SQ = /'''([^'\\]|\\(.|\n)|'[^'\\]|'\\(.|\n)|''[^'\\]|''\\(.|\n))*'''/;

/**
 * Raw string bodies (after an r/R prefix). A backslash is an ordinary
 * character in a raw string (CEL.g4: RAW '"' ~('"'|'\n'|'\r')* '"' and
 * RAW '"""' .*? '"""'), so r"\" is a complete one-character string and the
 * escaped bodies above must not be used for it. A run of three quotes always
 * closes a long raw string, as with the non-greedy `.*?` in CEL.g4.
 */
const RAW_SHORT_DQ = /"[^"\n]*"/;
const RAW_SHORT_SQ = /'[^'\n]*'/;
const RAW_LONG_DQ = /"""([^"]|"[^"]|""[^"])*"""/;
const RAW_LONG_SQ = /'''([^']|'[^']|''[^'])*'''/;

module.exports = grammar({
  name: 'rulecore',

  extras: $ => [/\s/, $.comment],

  word: $ => $.identifier,

  supertypes: $ => [$._expression, $._literal],

  rules: {
    source_file: $ => field('expression', $._expression),

    _expression: $ => choice(
      $.conditional_expression,
      $.binary_expression,
      $.unary_expression,
      $.select_expression,
      $.index_expression,
      $.call_expression,
      $.struct_expression,
      $.list_expression,
      $.map_expression,
      $.parenthesized_expression,
      $.identifier,
      $.absolute_identifier,
      $._literal,
    ),

    conditional_expression: $ => prec.right(PREC.conditional, seq(
      field('condition', $._expression),
      '?',
      field('consequence', $._expression),
      ':',
      field('alternative', $._expression),
    )),

    binary_expression: $ => {
      const table = [
        [PREC.or, '||'],
        [PREC.and, '&&'],
        [PREC.relation, choice('<', '<=', '>', '>=', '==', '!=', 'in')],
        [PREC.additive, choice('+', '-')],
        [PREC.multiplicative, choice('*', '/', '%')],
      ];
      return choice(...table.map(([p, op]) => prec.left(p, seq(
        field('left', $._expression),
        field('operator', op),
        field('right', $._expression),
      ))));
    },

    unary_expression: $ => prec(PREC.unary, seq(
      field('operator', choice('!', '-')),
      field('operand', $._expression),
    )),

    select_expression: $ => prec(PREC.member, seq(
      field('operand', $._expression),
      '.',
      field('field', choice($.identifier, $.escaped_identifier)),
    )),

    index_expression: $ => prec(PREC.member, seq(
      field('operand', $._expression),
      '[',
      field('index', $._expression),
      ']',
    )),

    // f(x), .f(x) and the method form x.f(y).
    call_expression: $ => prec(PREC.member, seq(
      optional(choice(
        seq(field('receiver', $._expression), '.'),
        field('absolute', '.'),
      )),
      field('function', $.identifier),
      field('arguments', $.argument_list),
    )),

    // CEL allows a trailing comma in list, map and struct literals only.
    argument_list: $ => seq('(', optional(seq($._expression, repeat(seq(',', $._expression)))), ')'),

    // Type{field: value}: the type is an identifier or a dotted name; the
    // lowering pass checks that the operand really is one.
    struct_expression: $ => prec(PREC.member, seq(
      field('type', choice($.identifier, $.absolute_identifier, $.select_expression)),
      '{',
      commaSep(field('field', $.field_initializer)),
      '}',
    )),

    field_initializer: $ => seq(
      field('name', choice($.identifier, $.escaped_identifier)),
      ':',
      field('value', $._expression),
    ),

    list_expression: $ => seq('[', commaSep(field('element', $._expression)), ']'),

    map_expression: $ => seq('{', commaSep(field('entry', $.map_entry)), '}'),

    map_entry: $ => seq(
      field('key', $._expression),
      ':',
      field('value', $._expression),
    ),

    parenthesized_expression: $ => seq('(', field('expression', $._expression), ')'),

    absolute_identifier: $ => seq('.', field('name', $.identifier)),

    identifier: _ => /[_a-zA-Z][_a-zA-Z0-9]*/,

    // A field name in backticks, for map keys and fields that are not
    // identifiers: m.`content-type`, T{`a.b`: 1}.
    escaped_identifier: _ => /`[_a-zA-Z0-9.\-\/ ]+`/,

    _literal: $ => choice(
      $.int_literal,
      $.uint_literal,
      $.double_literal,
      $.string_literal,
      $.bytes_literal,
      $.true,
      $.false,
      $.null,
    ),

    int_literal: _ => token(choice(/[0-9]+/, seq(/0[xX]/, repeat1(HEX)))),

    uint_literal: _ => token(seq(choice(/[0-9]+/, seq(/0[xX]/, repeat1(HEX))), /[uU]/)),

    double_literal: _ => token(choice(
      /[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?/,
      /[0-9]+[eE][+-]?[0-9]+/,
      /\.[0-9]+([eE][+-]?[0-9]+)?/,
    )),

    string_literal: _ => token(choice(
      choice(LONG_DQ, LONG_SQ, SHORT_DQ, SHORT_SQ),
      seq(/[rR]/, choice(RAW_LONG_DQ, RAW_LONG_SQ, RAW_SHORT_DQ, RAW_SHORT_SQ)),
    )),

    bytes_literal: _ => token(choice(
      seq(/[bB]/, choice(LONG_DQ, LONG_SQ, SHORT_DQ, SHORT_SQ)),
      seq(
        choice(/[bB][rR]/, /[rR][bB]/),
        choice(RAW_LONG_DQ, RAW_LONG_SQ, RAW_SHORT_DQ, RAW_SHORT_SQ),
      ),
    )),

    true: _ => 'true',
    false: _ => 'false',
    null: _ => 'null',

    comment: _ => token(seq('//', /[^\n]*/)),
  },
});
