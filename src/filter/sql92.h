#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "rocketmq/error.h"

namespace rocketmq::filter::sql92 {

// The SQL92 subset RocketMQ brokers accept for message selection (apache/rocketmq
// filter/.../parser/SelectorParser.jj), parsed and evaluated here with the broker's rules, so the
// client can re-check what a broker delivered and take over when a broker has property filtering
// off (docs/protocol.md §8.2).
//
// Grammar, loosest binding first (every keyword case-insensitive):
//   or:         and (OR and)*
//   and:        equality (AND equality)*
//   equality:   comparison ( = comparison | <> comparison | IS NULL | IS NOT NULL )*
//   comparison: unary ( (> | >= | < | <=) unary | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) 'string'
//                      | [NOT] BETWEEN unary AND unary | [NOT] IN ('string', ...) )*
//   unary:      + unary | - unary | NOT unary | primary
//   primary:    literal | identifier | ( or )
// Literals: 'text' ('' is a quote), integers (optional L suffix; 32-bit when they fit, else 64-bit),
// floats (5.5, 5., .5, 5E10), TRUE, FALSE, NULL. Identifiers: [a-zA-Z_$][a-zA-Z0-9_$]*, names of
// message properties (case-sensitive). Comments: "-- ...\n" and "/* ... */".
// Note that NOT binds tighter than comparisons: "NOT a = 'x'" is "(NOT a) = 'x'", as on the broker.
//
// Typing, as the broker's Java evaluator does it (filter/.../expression/ComparisonExpression.java):
// * Property values are strings; a missing property is NULL.
// * Comparing with NULL yields NULL (unknown) and NULL never matches; AND/OR use three-valued logic
//   (FALSE AND NULL = FALSE, TRUE OR NULL = TRUE); NOT NULL = NULL. `a = b` with both missing is TRUE.
// * A string compared with a number is converted to that number's type: Integer.valueOf /
//   Long.valueOf (no spaces, no fraction) or Double.valueOf (trims, accepts exponents, NaN, ...).
//   A string that does not convert makes the WHOLE expression fail to match (the broker catches the
//   exception around the evaluation), unless AND/OR short-circuited before reaching it.
// * Two strings under > >= < <= are both converted with Double.valueOf (same failure rule).
// * A string compared with TRUE/FALSE is converted with Boolean.valueOf ("true" in any case).
// * A bare property used as a condition ("a AND b") is FALSE when present (strings are not booleans).
// * IN and NOT IN give NULL for a missing property; CONTAINS, STARTSWITH, ENDSWITH and their NOT
//   forms give FALSE for a missing property.
// Only a TRUE result matches.
//
// Like the broker, some expressions are refused at parse time: comparing the NULL literal with = or
// <>, a non-numeric literal or a condition under > >= < <=, BETWEEN with reversed or NULL bounds, IN
// on anything but a property, a float literal that is 0 or out of double's range, a literal or
// negation used as a condition.

// Bounds on one expression, refused at parse time with a SyntaxError. Parsing, evaluation and
// releasing the tree recurse, so deep expressions would overflow the stack; BETWEEN evaluates its
// operand twice, so nesting it would make evaluation exponential. All are far beyond what a filter
// needs (IN lists are one operator however long).
//   kMaxNesting:        parentheses and prefix operators (NOT, -, +) inside each other
//   kMaxTreeDepth:      operators on the longest path, e.g. the terms of "a OR b OR c ..."
//   kMaxEvaluatedNodes: operands and operators one evaluation visits
inline constexpr std::size_t kMaxNesting = 100;
inline constexpr std::size_t kMaxTreeDepth = 1000;
inline constexpr std::size_t kMaxEvaluatedNodes = 100000;

// A parse failure: `column` is the 1-based position of the offending character in the expression.
class SyntaxError : public ClientError {
 public:
  SyntaxError(const std::string& message, std::size_t column)
      : ClientError(message + " at column " + std::to_string(column)), column_(column), reason_(message) {}
  std::size_t column() const noexcept { return column_; }
  // The message without the position.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::size_t column_;
  std::string reason_;
};

// The result of evaluating an expression: the Java value kinds the broker can produce.
enum class Result { True, False, Null, Error, NotBoolean };

struct Node;

// A compiled expression. Cheap to copy; immutable and safe to share between threads.
class Selector {
 public:
  // Throws SyntaxError.
  static Selector parse(std::string_view expression);

  // What the broker's evaluator yields for a message with these properties.
  Result evaluate(const std::map<std::string, std::string>& properties) const;
  // Whether the broker would deliver the message: only a TRUE result matches.
  bool matches(const std::map<std::string, std::string>& properties) const {
    return evaluate(properties) == Result::True;
  }
  const std::string& text() const noexcept { return text_; }

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

// Java's number parsing, exposed for the tests. Return false where Java throws NumberFormatException.
bool java_parse_int(std::string_view text, std::int32_t& out);
bool java_parse_long(std::string_view text, std::int64_t& out);
bool java_parse_double(std::string_view text, double& out);

}  // namespace rocketmq::filter::sql92
