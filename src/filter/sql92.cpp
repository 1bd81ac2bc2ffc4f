#include "filter/sql92.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace rocketmq::filter::sql92 {

// ---- values -------------------------------------------------------------------------------------

// A Java object as the broker's evaluator sees it. Integer and Long stay apart because the broker
// converts a string operand with Integer.valueOf or Long.valueOf depending on the other side.
struct Value {
  enum class Kind { Null, Boolean, Int, Long, Double, String };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::int64_t integer = 0;  // Int and Long
  double real = 0;
  std::string text;

  static Value null() { return {}; }
  static Value of_bool(bool b) {
    Value v;
    v.kind = Kind::Boolean;
    v.boolean = b;
    return v;
  }
  static Value of_int(std::int32_t i) {
    Value v;
    v.kind = Kind::Int;
    v.integer = i;
    return v;
  }
  static Value of_long(std::int64_t i) {
    Value v;
    v.kind = Kind::Long;
    v.integer = i;
    return v;
  }
  static Value of_double(double d) {
    Value v;
    v.kind = Kind::Double;
    v.real = d;
    return v;
  }
  static Value of_string(std::string s) {
    Value v;
    v.kind = Kind::String;
    v.text = std::move(s);
    return v;
  }
  bool is_null() const { return kind == Kind::Null; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Long || kind == Kind::Double; }
};

namespace {

// What the broker's evaluator throws (NumberFormatException, ClassCastException): the whole
// expression then does not match.
struct EvaluationError {};

int java_double_compare(double a, double b) {
  // Double.compareTo: NaN above everything and equal to itself, -0.0 below 0.0.
  const bool a_nan = std::isnan(a);
  const bool b_nan = std::isnan(b);
  if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
  if (a < b) return -1;
  if (a > b) return 1;
  const bool a_negative = std::signbit(a);
  const bool b_negative = std::signbit(b);
  if (a_negative == b_negative) return 0;
  return a_negative ? -1 : 1;
}

template <typename T>
int three_way(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

double as_double(const Value& v) {
  return v.kind == Value::Kind::Double ? v.real : static_cast<double>(v.integer);
}

bool java_boolean_value_of(const std::string& text) {
  if (text.size() != 4) return false;
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "true";
}

Value convert_string_like(const std::string& text, const Value& like) {
  switch (like.kind) {
    case Value::Kind::Int: {
      std::int32_t i = 0;
      if (!java_parse_int(text, i)) throw EvaluationError{};
      return Value::of_int(i);
    }
    case Value::Kind::Long: {
      std::int64_t i = 0;
      if (!java_parse_long(text, i)) throw EvaluationError{};
      return Value::of_long(i);
    }
    case Value::Kind::Double: {
      double d = 0;
      if (!java_parse_double(text, d)) throw EvaluationError{};
      return Value::of_double(d);
    }
    case Value::Kind::Boolean:
      return Value::of_bool(java_boolean_value_of(text));
    default:
      throw EvaluationError{};  // not reached: the caller handles the other kinds
  }
}

// ComparisonExpression.__compare with string conversion on (the broker always parses with it):
// widens numbers, converts a string to the other side's type, and answers -1 for kinds it cannot
// relate (a boolean against a number, say).
int java_compare(Value lv, Value rv) {
  using Kind = Value::Kind;
  if (lv.kind != rv.kind) {
    if (lv.kind == Kind::Boolean) {
      // The broker casts the Boolean to String here and throws ClassCastException.
      if (rv.kind == Kind::String) throw EvaluationError{};
      return -1;
    }
    if (lv.is_number() && rv.is_number()) {
      if (lv.kind == Kind::Double || rv.kind == Kind::Double)
        return java_double_compare(as_double(lv), as_double(rv));
      return three_way(lv.integer, rv.integer);  // Integer against Long: both widened to long
    }
    if (lv.is_number() && rv.kind == Kind::String) {
      rv = convert_string_like(rv.text, lv);
    } else if (lv.kind == Kind::String && (rv.is_number() || rv.kind == Kind::Boolean)) {
      lv = convert_string_like(lv.text, rv);
    } else {
      return -1;
    }
  }
  switch (lv.kind) {
    case Kind::Boolean:
      return three_way(lv.boolean, rv.boolean);
    case Kind::Int:
    case Kind::Long:
      return three_way(lv.integer, rv.integer);
    case Kind::Double:
      return java_double_compare(lv.real, rv.real);
    case Kind::String:
      // Only equality needs this ordering (ordered string comparisons parse both as doubles first),
      // and byte order of UTF-8 is zero exactly where UTF-16 order is.
      return lv.text.compare(rv.text) < 0 ? -1 : (lv.text == rv.text ? 0 : 1);
    default:
      return 0;
  }
}

}  // namespace

// ---- expression tree ----------------------------------------------------------------------------

enum class NodeKind {
  Constant,     // value; `boolean_constant` for TRUE / FALSE / NULL
  Property,     // name
  Negate,       // -child
  Not,          // NOT child
  BooleanCast,  // a property used as a condition
  And,
  Or,
  Equal,        // = (also IS NULL against the NULL constant)
  Compare,      // > >= < <=
  In,           // [NOT] IN
  StringMatch,  // [NOT] CONTAINS / STARTSWITH / ENDSWITH
};

enum class CompareOp { Greater, GreaterEqual, Less, LessEqual };
enum class StringOp { Contains, StartsWith, EndsWith };

struct Node {
  NodeKind kind = NodeKind::Constant;
  Value value;
  bool boolean_constant = false;
  std::string name;
  std::shared_ptr<const Node> left;
  std::shared_ptr<const Node> right;
  CompareOp compare_op = CompareOp::Greater;
  StringOp string_op = StringOp::Contains;
  bool negated = false;
  std::vector<std::string> list;
  std::string search;
  // Longest path to a leaf, and the nodes one evaluation visits (BETWEEN uses its operand twice);
  // both bounded at parse time because evaluation and destruction recurse over the tree.
  std::size_t depth = 1;
  std::size_t weight = 1;

  bool is_boolean() const {
    switch (kind) {
      case NodeKind::Constant:
        return boolean_constant;
      case NodeKind::Property:
      case NodeKind::Negate:
        return false;
      default:
        return true;
    }
  }
};

using NodePtr = std::shared_ptr<const Node>;

namespace {

using Properties = std::map<std::string, std::string>;

Value evaluate_node(const Node& node, const Properties& properties);

// A child that the grammar guarantees to be a condition: Boolean or NULL.
std::optional<bool> evaluate_condition(const Node& node, const Properties& properties) {
  const Value v = evaluate_node(node, properties);
  if (v.is_null()) return std::nullopt;
  if (v.kind != Value::Kind::Boolean) throw EvaluationError{};
  return v.boolean;
}

Value evaluate_node(const Node& node, const Properties& properties) {
  switch (node.kind) {
    case NodeKind::Constant:
      return node.value;
    case NodeKind::Property: {
      auto it = properties.find(node.name);
      return it == properties.end() ? Value::null() : Value::of_string(it->second);
    }
    case NodeKind::Negate: {
      const Value v = evaluate_node(*node.left, properties);
      switch (v.kind) {
        case Value::Kind::Int:
          return Value::of_int(static_cast<std::int32_t>(0u - static_cast<std::uint32_t>(v.integer)));
        case Value::Kind::Long:
          return Value::of_long(static_cast<std::int64_t>(0ull - static_cast<std::uint64_t>(v.integer)));
        case Value::Kind::Double:
          return Value::of_double(-v.real);
        default:
          return Value::null();  // not a number
      }
    }
    case NodeKind::Not: {
      const auto v = evaluate_condition(*node.left, properties);
      return v ? Value::of_bool(!*v) : Value::null();
    }
    case NodeKind::BooleanCast: {
      const Value v = evaluate_node(*node.left, properties);
      if (v.is_null()) return v;
      return Value::of_bool(v.kind == Value::Kind::Boolean && v.boolean);
    }
    case NodeKind::And: {
      const auto lv = evaluate_condition(*node.left, properties);
      if (lv && !*lv) return Value::of_bool(false);
      const auto rv = evaluate_condition(*node.right, properties);
      if (rv && !*rv) return Value::of_bool(false);
      if (!lv || !rv) return Value::null();
      return Value::of_bool(true);
    }
    case NodeKind::Or: {
      const auto lv = evaluate_condition(*node.left, properties);
      if (lv && *lv) return Value::of_bool(true);
      const auto rv = evaluate_condition(*node.right, properties);
      if (rv && *rv) return Value::of_bool(true);
      if (!lv || !rv) return Value::null();
      return Value::of_bool(false);
    }
    case NodeKind::Equal: {
      const Value lv = evaluate_node(*node.left, properties);
      const Value rv = evaluate_node(*node.right, properties);
      if (lv.is_null() && rv.is_null()) return Value::of_bool(true);
      if (lv.is_null()) return Value::null();
      if (rv.is_null()) return Value::of_bool(false);
      return Value::of_bool(java_compare(lv, rv) == 0);
    }
    case NodeKind::Compare: {
      Value lv = evaluate_node(*node.left, properties);
      if (lv.is_null()) return lv;
      Value rv = evaluate_node(*node.right, properties);
      if (rv.is_null()) return rv;
      if (lv.kind == Value::Kind::String && rv.kind == Value::Kind::String) {
        double l = 0;
        double r = 0;
        if (!java_parse_double(lv.text, l) || !java_parse_double(rv.text, r)) throw EvaluationError{};
        lv = Value::of_double(l);
        rv = Value::of_double(r);
      }
      const int order = java_compare(lv, rv);
      switch (node.compare_op) {
        case CompareOp::Greater:
          return Value::of_bool(order > 0);
        case CompareOp::GreaterEqual:
          return Value::of_bool(order >= 0);
        case CompareOp::Less:
          return Value::of_bool(order < 0);
        case CompareOp::LessEqual:
          return Value::of_bool(order <= 0);
      }
      return Value::null();
    }
    case NodeKind::In: {
      const Value v = evaluate_node(*node.left, properties);
      if (v.kind != Value::Kind::String) return Value::null();
      const bool found = std::find(node.list.begin(), node.list.end(), v.text) != node.list.end();
      return Value::of_bool(found != node.negated);
    }
    case NodeKind::StringMatch: {
      if (node.search.empty()) return Value::of_bool(false);
      const Value v = evaluate_node(*node.left, properties);
      if (v.kind != Value::Kind::String) return Value::of_bool(false);
      bool found = false;
      switch (node.string_op) {
        case StringOp::Contains:
          found = v.text.find(node.search) != std::string::npos;
          break;
        case StringOp::StartsWith:
          found = v.text.compare(0, node.search.size(), node.search) == 0;
          break;
        case StringOp::EndsWith:
          found = v.text.size() >= node.search.size() &&
                  v.text.compare(v.text.size() - node.search.size(), node.search.size(), node.search) == 0;
          break;
      }
      return Value::of_bool(found != node.negated);
    }
  }
  return Value::null();
}

// ---- tokens -------------------------------------------------------------------------------------

enum class TokenKind {
  End,
  Identifier,
  Decimal,
  Float,
  String,
  // keywords
  Not,
  And,
  Or,
  Between,
  In,
  True,
  False,
  Null,
  Is,
  Contains,
  StartsWith,
  EndsWith,
  // punctuation
  Equal,
  NotEqual,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  LeftParen,
  RightParen,
  Comma,
  Plus,
  Minus,
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;  // identifier name, literal image, decoded string
  std::size_t offset = 0;
};

std::optional<TokenKind> keyword(std::string_view word) {
  static const std::pair<const char*, TokenKind> kKeywords[] = {
      {"NOT", TokenKind::Not},
      {"AND", TokenKind::And},
      {"OR", TokenKind::Or},
      {"BETWEEN", TokenKind::Between},
      {"IN", TokenKind::In},
      {"TRUE", TokenKind::True},
      {"FALSE", TokenKind::False},
      {"NULL", TokenKind::Null},
      {"IS", TokenKind::Is},
      {"CONTAINS", TokenKind::Contains},
      {"STARTSWITH", TokenKind::StartsWith},
      {"ENDSWITH", TokenKind::EndsWith},
  };
  for (const auto& [name, kind] : kKeywords) {
    const std::string_view candidate(name);
    if (candidate.size() != word.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < word.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(word[i])) == candidate[i];
    }
    if (same) return kind;
  }
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_identifier_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_identifier_part(char c) { return is_identifier_start(c) || is_digit(c); }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> tokenize() {
    std::vector<Token> tokens;
    while (true) {
      skip_blanks_and_comments();
      if (pos_ >= text_.size()) {
        tokens.push_back(Token{TokenKind::End, "", pos_});
        return tokens;
      }
      tokens.push_back(next());
    }
  }

 private:
  void skip_blanks_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (text_.compare(pos_, 2, "--") == 0) {
        // The broker's line comment needs its line end; without one "--" is two minus signs. Once no
        // line end is left, none will be: searching again at every '-' of "-----..." was quadratic.
        if (no_line_end_left_) return;
        const auto end = text_.find_first_of("\r\n", pos_);
        if (end == std::string_view::npos) {
          no_line_end_left_ = true;
          return;
        }
        pos_ = end + 1;
      } else if (text_.compare(pos_, 2, "/*") == 0) {
        const auto end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) throw SyntaxError("unterminated comment", pos_ + 1);
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }

  std::size_t exponent_length(std::size_t at) const {
    if (at >= text_.size() || (text_[at] != 'e' && text_[at] != 'E')) return 0;
    std::size_t i = at + 1;
    if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ++i;
    const std::size_t digits_start = i;
    while (i < text_.size() && is_digit(text_[i])) ++i;
    return i == digits_start ? 0 : i - at;
  }

  Token number(std::size_t start) {
    std::size_t i = start;
    while (i < text_.size() && is_digit(text_[i])) ++i;
    const bool leading_dot = i == start;  // ".5"
    if (i < text_.size() && text_[i] == '.') {
      ++i;
      while (i < text_.size() && is_digit(text_[i])) ++i;
      i += exponent_length(i);
      pos_ = i;
      return Token{TokenKind::Float, std::string(text_.substr(start, i - start)), start};
    }
    if (!leading_dot) {
      if (const auto exponent = exponent_length(i)) {
        pos_ = i + exponent;
        return Token{TokenKind::Float, std::string(text_.substr(start, pos_ - start)), start};
      }
    }
    if (text_[start] == '0') {
      pos_ = start + 1;  // the broker's decimal literal is "0" or starts with 1-9
      return Token{TokenKind::Decimal, "0", start};
    }
    if (i < text_.size() && (text_[i] == 'l' || text_[i] == 'L')) ++i;
    pos_ = i;
    return Token{TokenKind::Decimal, std::string(text_.substr(start, i - start)), start};
  }

  Token next() {
    const std::size_t start = pos_;
    const char c = text_[pos_];
    if (is_identifier_start(c)) {
      while (pos_ < text_.size() && is_identifier_part(text_[pos_])) ++pos_;
      const auto word = text_.substr(start, pos_ - start);
      if (auto kind = keyword(word)) return Token{*kind, std::string(word), start};
      return Token{TokenKind::Identifier, std::string(word), start};
    }
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])))
      return number(start);
    if (c == '\'') {
      std::string decoded;
      std::size_t i = pos_ + 1;
      while (true) {
        if (i >= text_.size()) throw SyntaxError("unterminated string literal", start + 1);
        if (text_[i] == '\'') {
          if (i + 1 < text_.size() && text_[i + 1] == '\'') {
            decoded.push_back('\'');
            i += 2;
            continue;
          }
          break;
        }
        decoded.push_back(text_[i++]);
      }
      pos_ = i + 1;
      return Token{TokenKind::String, std::move(decoded), start};
    }
    const auto two = text_.substr(pos_, 2);
    if (two == "<>" || two == ">=" || two == "<=") {
      pos_ += 2;
      const TokenKind kind =
          two == "<>" ? TokenKind::NotEqual : (two == ">=" ? TokenKind::GreaterEqual : TokenKind::LessEqual);
      return Token{kind, std::string(two), start};
    }
    TokenKind kind;
    switch (c) {
      case '=':
        kind = TokenKind::Equal;
        break;
      case '>':
        kind = TokenKind::Greater;
        break;
      case '<':
        kind = TokenKind::Less;
        break;
      case '(':
        kind = TokenKind::LeftParen;
        break;
      case ')':
        kind = TokenKind::RightParen;
        break;
      case ',':
        kind = TokenKind::Comma;
        break;
      case '+':
        kind = TokenKind::Plus;
        break;
      case '-':
        kind = TokenKind::Minus;
        break;
      default:
        throw SyntaxError(std::string("unexpected character '") + c + "'", start + 1);
    }
    ++pos_;
    return Token{kind, std::string(1, c), start};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool no_line_end_left_ = false;
};

// ---- parser -------------------------------------------------------------------------------------

// Thrown where the tree is assembled, which knows no token; Parser::parse turns it into a SyntaxError.
struct TooComplex {
  std::string reason;
};

// Every node with children passes through here once its children are set.
NodePtr linked(std::shared_ptr<Node> node) {
  for (const NodePtr* child : {&node->left, &node->right}) {
    if (!*child) continue;
    node->depth = std::max(node->depth, (*child)->depth + 1);
    node->weight += (*child)->weight;
  }
  if (node->depth > kMaxTreeDepth) {
    throw TooComplex{"expression deeper than " + std::to_string(kMaxTreeDepth) + " operators"};
  }
  if (node->weight > kMaxEvaluatedNodes) {
    throw TooComplex{"expression larger than " + std::to_string(kMaxEvaluatedNodes) +
                     " operands and operators"};
  }
  return node;
}

std::shared_ptr<Node> make(NodeKind kind) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  return node;
}

NodePtr binary(NodeKind kind, NodePtr left, NodePtr right) {
  auto node = make(kind);
  node->left = std::move(left);
  node->right = std::move(right);
  return linked(std::move(node));
}

NodePtr negation(NodePtr child) {
  auto node = make(NodeKind::Not);
  node->left = std::move(child);
  return linked(std::move(node));
}

NodePtr constant(Value value, bool boolean_constant) {
  auto node = make(NodeKind::Constant);
  node->value = std::move(value);
  node->boolean_constant = boolean_constant;
  return node;
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::End:
      return "end of expression";
    case TokenKind::String:
      return "string literal";
    default:
      return "'" + token.text + "'";
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr parse() {
    try {
      auto root = or_expression();
      if (peek().kind != TokenKind::End) fail("unexpected " + describe(peek()), peek());
      return as_condition(root, tokens_.front());
    } catch (const TooComplex& error) {
      fail(error.reason, peek());
    }
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }
  const Token& take() {
    const Token& token = tokens_[index_];
    if (index_ + 1 < tokens_.size()) ++index_;
    return token;
  }
  bool accept(TokenKind kind) {
    if (peek().kind != kind) return false;
    take();
    return true;
  }
  const Token& expect(TokenKind kind, const char* what) {
    if (peek().kind != kind) fail(std::string("expected ") + what + ", found " + describe(peek()), peek());
    return take();
  }
  [[noreturn]] static void fail(const std::string& message, const Token& at) {
    throw SyntaxError(message, at.offset + 1);
  }

  // SelectorParser.asBooleanExpression: conditions are boolean nodes or properties.
  static NodePtr as_condition(const NodePtr& node, const Token& at) {
    if (node->is_boolean()) return node;
    if (node->kind == NodeKind::Property) {
      auto cast = make(NodeKind::BooleanCast);
      cast->left = node;
      return linked(std::move(cast));
    }
    fail("expression will not result in a boolean value", at);
  }

  NodePtr or_expression() {
    const Token& first = peek();
    NodePtr left = and_expression();
    while (peek().kind == TokenKind::Or) {
      const Token& op = take();
      const Token& right_start = peek();
      NodePtr right = and_expression();
      left = binary(NodeKind::Or, as_condition(left, first), as_condition(right, right_start));
      (void)op;
    }
    return left;
  }

  NodePtr and_expression() {
    const Token& first = peek();
    NodePtr left = equality_expression();
    while (accept(TokenKind::And)) {
      const Token& right_start = peek();
      NodePtr right = equality_expression();
      left = binary(NodeKind::And, as_condition(left, first), as_condition(right, right_start));
    }
    return left;
  }

  static void check_equal_operand(const NodePtr& node, const Token& at) {
    if (node->kind == NodeKind::Constant && node->value.is_null())
      fail("NULL cannot be compared with = or <>", at);
  }

  static NodePtr equal(const NodePtr& left, const NodePtr& right, const Token& op) {
    check_equal_operand(left, op);
    check_equal_operand(right, op);
    if (left->kind == NodeKind::Constant && right->kind == NodeKind::Constant && left->boolean_constant &&
        !right->boolean_constant) {
      fail("a boolean literal cannot be compared with a non-boolean literal", op);
    }
    return binary(NodeKind::Equal, left, right);
  }

  NodePtr equality_expression() {
    NodePtr left = comparison_expression();
    while (true) {
      const Token& op = peek();
      if (accept(TokenKind::Equal)) {
        left = equal(left, comparison_expression(), op);
      } else if (accept(TokenKind::NotEqual)) {
        left = negation(equal(left, comparison_expression(), op));
      } else if (op.kind == TokenKind::Is) {
        take();
        const bool negated = accept(TokenKind::Not);
        expect(TokenKind::Null, negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
        auto is_null = binary(NodeKind::Equal, left, constant(Value::null(), true));
        left = negated ? negation(is_null) : is_null;
      } else {
        return left;
      }
    }
  }

  // ComparisonExpression.checkLessThanOperand: only numbers and non-condition expressions.
  static void check_ordered_operand(const NodePtr& node, const Token& at) {
    if (node->kind == NodeKind::Constant) {
      if (node->value.is_number()) return;
      fail("only numbers can be compared with > >= < <=", at);
    }
    if (node->is_boolean()) fail("a condition cannot be compared with > >= < <=", at);
  }

  static NodePtr ordered(CompareOp op, const NodePtr& left, const NodePtr& right, const Token& at) {
    check_ordered_operand(left, at);
    check_ordered_operand(right, at);
    auto node = make(NodeKind::Compare);
    node->compare_op = op;
    node->left = left;
    node->right = right;
    return linked(std::move(node));
  }

  std::string string_literal(const char* what) { return expect(TokenKind::String, what).text; }

  NodePtr string_match(StringOp op, bool negated, const NodePtr& left) {
    auto node = make(NodeKind::StringMatch);
    node->string_op = op;
    node->negated = negated;
    node->left = left;
    node->search = string_literal("a string literal");
    return linked(std::move(node));
  }

  NodePtr between(bool negated, const NodePtr& value, const Token& at) {
    NodePtr low = unary_expression();
    expect(TokenKind::And, "AND in BETWEEN");
    NodePtr high = unary_expression();
    if (low->kind == NodeKind::Constant && high->kind == NodeKind::Constant) {
      if (low->value.is_null() || high->value.is_null()) fail("the bounds of BETWEEN cannot be NULL", at);
      int order = 0;
      try {
        order = java_compare(high->value, low->value);
      } catch (const EvaluationError&) {
        fail("the bounds of BETWEEN cannot be compared", at);
      }
      if (order < 0) fail("the lower bound of BETWEEN is above the upper bound", at);
    }
    if (negated) {
      return binary(NodeKind::Or, ordered(CompareOp::Less, value, low, at),
                    ordered(CompareOp::Greater, value, high, at));
    }
    return binary(NodeKind::And, ordered(CompareOp::GreaterEqual, value, low, at),
                  ordered(CompareOp::LessEqual, value, high, at));
  }

  NodePtr in_list(bool negated, const NodePtr& left, const Token& at) {
    if (left->kind != NodeKind::Property) fail("IN needs a property on its left", at);
    expect(TokenKind::LeftParen, "'(' after IN");
    auto node = make(NodeKind::In);
    node->negated = negated;
    node->left = left;
    node->list.push_back(string_literal("a string literal in the IN list"));
    while (accept(TokenKind::Comma)) node->list.push_back(string_literal("a string literal in the IN list"));
    expect(TokenKind::RightParen, "')' or ',' in the IN list");
    return linked(std::move(node));
  }

  NodePtr comparison_expression() {
    NodePtr left = unary_expression();
    while (true) {
      const Token& op = peek();
      switch (op.kind) {
        case TokenKind::Greater:
        case TokenKind::GreaterEqual:
        case TokenKind::Less:
        case TokenKind::LessEqual: {
          take();
          const CompareOp compare = op.kind == TokenKind::Greater        ? CompareOp::Greater
                                    : op.kind == TokenKind::GreaterEqual ? CompareOp::GreaterEqual
                                    : op.kind == TokenKind::Less         ? CompareOp::Less
                                                                         : CompareOp::LessEqual;
          left = ordered(compare, left, unary_expression(), op);
          continue;
        }
        case TokenKind::Contains:
        case TokenKind::StartsWith:
        case TokenKind::EndsWith:
        case TokenKind::Between:
        case TokenKind::In:
          take();
          left = suffix_operator(op, false, left);
          continue;
        case TokenKind::Not: {
          const TokenKind after = peek(1).kind;
          if (after != TokenKind::Contains && after != TokenKind::StartsWith &&
              after != TokenKind::EndsWith && after != TokenKind::Between && after != TokenKind::In) {
            return left;
          }
          take();
          const Token& real_op = take();
          left = suffix_operator(real_op, true, left);
          continue;
        }
        default:
          return left;
      }
    }
  }

  NodePtr suffix_operator(const Token& op, bool negated, const NodePtr& left) {
    switch (op.kind) {
      case TokenKind::Contains:
        return string_match(StringOp::Contains, negated, left);
      case TokenKind::StartsWith:
        return string_match(StringOp::StartsWith, negated, left);
      case TokenKind::EndsWith:
        return string_match(StringOp::EndsWith, negated, left);
      case TokenKind::Between:
        return between(negated, left, op);
      default:
        return in_list(negated, left, op);
    }
  }

  // Every recursion of the parser (a parenthesis, a prefix operator, a BETWEEN bound) passes through
  // here, so counting here bounds the parser's stack.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser& parser) : parser_(parser) {
      if (++parser_.nesting_ > kMaxNesting) {
        fail("parentheses and prefix operators nested deeper than " + std::to_string(kMaxNesting) + " levels",
             parser_.peek());
      }
    }
    ~NestingGuard() { --parser_.nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    Parser& parser_;
  };

  NodePtr unary_expression() {
    NestingGuard guard(*this);
    const Token& op = peek();
    if (accept(TokenKind::Plus)) return unary_expression();
    if (accept(TokenKind::Minus)) {
      auto node = make(NodeKind::Negate);
      node->left = unary_expression();
      return linked(std::move(node));
    }
    if (accept(TokenKind::Not)) {
      const Token& operand = peek();
      return negation(as_condition(unary_expression(), operand));
    }
    (void)op;
    return primary_expression();
  }

  NodePtr primary_expression() {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::String:
        take();
        return constant(Value::of_string(token.text), false);
      case TokenKind::Decimal: {
        take();
        std::string digits = token.text;
        if (digits.back() == 'l' || digits.back() == 'L') digits.pop_back();
        std::int64_t number = 0;
        if (!java_parse_long(digits, number)) fail("integer literal out of range", token);
        if (number >= std::numeric_limits<std::int32_t>::min() &&
            number <= std::numeric_limits<std::int32_t>::max()) {
          return constant(Value::of_int(static_cast<std::int32_t>(number)), false);
        }
        return constant(Value::of_long(number), false);
      }
      case TokenKind::Float: {
        take();
        double number = 0;
        if (!java_parse_double(token.text, number)) fail("invalid float literal", token);
        // ConstantExpression.createFloat refuses infinity and anything below Double.MIN_VALUE, 0 included.
        if (number > std::numeric_limits<double>::max()) fail("float literal above the double range", token);
        if (number < std::numeric_limits<double>::denorm_min()) {
          fail("float literal below Double.MIN_VALUE (the broker refuses 0.0)", token);
        }
        return constant(Value::of_double(number), false);
      }
      case TokenKind::True:
        take();
        return constant(Value::of_bool(true), true);
      case TokenKind::False:
        take();
        return constant(Value::of_bool(false), true);
      case TokenKind::Null:
        take();
        return constant(Value::null(), true);
      case TokenKind::Identifier: {
        take();
        auto node = make(NodeKind::Property);
        node->name = token.text;
        return node;
      }
      case TokenKind::LeftParen: {
        take();
        NodePtr inner = or_expression();
        expect(TokenKind::RightParen, "')'");
        return inner;
      }
      default:
        fail("expected a literal, a property or '(', found " + describe(token), token);
    }
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  std::size_t nesting_ = 0;
};

template <typename Int>
bool java_parse_integer(std::string_view text, Int& out) {
  // Integer.parseInt / Long.parseLong: optional sign, then ASCII digits only (no blanks), in range.
  if (text.empty()) return false;
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') i = 1;
  if (i == text.size()) return false;
  // Accumulate the magnitude unsigned: the negative limit is one beyond the positive one.
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<Int>::max()) + (negative ? 1 : 0);
  std::uint64_t value = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) return false;
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (limit - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out =
      static_cast<Int>(negative ? static_cast<std::int64_t>(0ull - value) : static_cast<std::int64_t>(value));
  return true;
}

}  // namespace

bool java_parse_int(std::string_view text, std::int32_t& out) { return java_parse_integer(text, out); }
bool java_parse_long(std::string_view text, std::int64_t& out) { return java_parse_integer(text, out); }

bool java_parse_double(std::string_view text, double& out) {
  // Double.valueOf: String.trim() first (drops every char <= ' '), then an optional sign, then NaN,
  // Infinity, a hex float (0x..p..) or a decimal float, optionally suffixed with f/F/d/D.
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const double sign = negative ? -1.0 : 1.0;
  if (text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity") {
    out = sign * std::numeric_limits<double>::infinity();
    return true;
  }
  if (!text.empty() &&
      (text.back() == 'f' || text.back() == 'F' || text.back() == 'd' || text.back() == 'D')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return false;
  std::chars_format format = std::chars_format::general;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    // Java needs the binary exponent of a hex float.
    if (text.find_first_of("pP") == std::string_view::npos) return false;
    format = std::chars_format::hex;
  } else {
    // Digits with at most one '.', at least one digit, then an optional exponent; nothing else.
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
      const std::size_t exponent_start = i;
      while (i < text.size() && is_digit(text[i])) ++i;
      if (i == exponent_start) return false;
    }
    if (i != text.size()) return false;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, format);
  if (end != text.data() + text.size()) return false;
  if (error == std::errc::result_out_of_range) {
    // Java rounds to infinity or zero instead of failing.
    const std::string copy = (format == std::chars_format::hex ? "0x" : "") + std::string(text);
    value = std::strtod(copy.c_str(), nullptr);
  } else if (error != std::errc()) {
    return false;
  }
  out = sign * value;
  return true;
}

Selector Selector::parse(std::string_view expression) {
  Selector selector;
  selector.root_ = Parser(Lexer(expression).tokenize()).parse();
  selector.text_ = std::string(expression);
  return selector;
}

Result Selector::evaluate(const std::map<std::string, std::string>& properties) const {
  try {
    const Value v = evaluate_node(*root_, properties);
    if (v.is_null()) return Result::Null;
    if (v.kind != Value::Kind::Boolean) return Result::NotBoolean;
    return v.boolean ? Result::True : Result::False;
  } catch (const EvaluationError&) {
    return Result::Error;
  }
}

}  // namespace rocketmq::filter::sql92
