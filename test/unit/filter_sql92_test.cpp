#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "filter/sql92.h"

using rocketmq::filter::sql92::Result;
using rocketmq::filter::sql92::Selector;
using rocketmq::filter::sql92::SyntaxError;
using Properties = std::map<std::string, std::string>;

namespace {

Result eval(const std::string& expression, const Properties& properties) {
  return Selector::parse(expression).evaluate(properties);
}

std::size_t error_column(const std::string& expression) {
  try {
    Selector::parse(expression);
  } catch (const SyntaxError& error) {
    return error.column();
  }
  FAIL("parsed without error: " << expression);
  return 0;
}

}  // namespace

TEST_CASE("sql92 precedence: OR below AND below comparisons, NOT binds tightest", "[filter][sql92]") {
  const Properties p{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  // a=1 OR (b=5 AND c=5)
  CHECK(eval("a = 1 OR b = 5 AND c = 5", p) == Result::True);
  // (a=5 OR b=2) AND c=5
  CHECK(eval("(a = 5 OR b = 2) AND c = 5", p) == Result::False);
  CHECK(eval("a = 5 OR b = 2 AND c = 3", p) == Result::True);
  // NOT applies to the property, not to the comparison: (NOT a) = '1' -> Boolean vs String -> error.
  CHECK(eval("NOT a = '1'", p) == Result::Error);
  CHECK(eval("NOT (a = '1')", p) == Result::False);
  CHECK(eval("NOT (a = '2')", p) == Result::True);
  // keywords are case-insensitive, property names are not
  CHECK(eval("a = 1 and B IS NULL or c = 4", p) == Result::True);
  CHECK(eval("a BETWEEN 0 AND 2 AND b NOT BETWEEN 3 AND 4", p) == Result::True);
}

TEST_CASE("sql92 literals: quoting, numbers, comments", "[filter][sql92]") {
  CHECK(eval("name = 'it''s'", {{"name", "it's"}}) == Result::True);
  CHECK(eval("name = ''''", {{"name", "'"}}) == Result::True);
  CHECK(eval("name = 'a||b (x)'", {{"name", "a||b (x)"}}) == Result::True);
  CHECK(eval("n = 10L", {{"n", "10"}}) == Result::True);
  CHECK(eval("n > 2147483648", {{"n", "3000000000"}}) == Result::True);  // a Long literal: Long.valueOf
  CHECK(eval("n > 5", {{"n", "3000000000"}}) == Result::Error);          // Integer.valueOf overflows
  CHECK(eval("n > 1.5", {{"n", "2"}}) == Result::True);
  CHECK(eval("n > .5E1", {{"n", "6"}}) == Result::True);
  CHECK(eval("n = -5", {{"n", "-5"}}) == Result::True);
  CHECK(eval("n = +5", {{"n", "5"}}) == Result::True);
  CHECK(eval("n = 1 -- trailing comment\n", {{"n", "1"}}) == Result::True);
  CHECK(eval("/* first */ n = 1", {{"n", "1"}}) == Result::True);
  CHECK(eval("TRUE", {}) == Result::True);
  CHECK(eval("FALSE", {}) == Result::False);
  CHECK(eval("NULL", {}) == Result::Null);
}

TEST_CASE("sql92 syntax errors name the column", "[filter][sql92]") {
  CHECK(error_column("region = ") == 10);          // end of expression
  CHECK(error_column("region == 'x'") == 9);       // second '='
  CHECK(error_column("region = 'us-west") == 10);  // unterminated string
  CHECK(error_column("a != 1") == 3);              // '!' is not an operator
  CHECK(error_column("a = 1 AND") == 10);
  CHECK(error_column("(a = 1") == 7);
  CHECK(error_column("a IN (1, 2)") == 7);  // IN takes strings only
  CHECK(error_column("a = 1 || b = 2") == 7);
  CHECK(error_column("a = NULL") == 3);                  // use IS NULL
  CHECK(error_column("a > 'x'") == 3);                   // only numbers under >
  CHECK(error_column("a BETWEEN 5 AND 1") == 3);         // reversed bounds
  CHECK(error_column("5") == 1);                         // not a condition
  CHECK(error_column("a > 0.0") == 5);                   // the broker refuses float 0
  CHECK(error_column("a > 99999999999999999999") == 5);  // beyond long
  CHECK(error_column("a = 0L") == 6);                    // "0" takes no suffix
  CHECK(error_column("a = 1 -- no line end") == 7);      // "--" needs a newline to be a comment
  CHECK(error_column("TRUE = 1") == 6);
  CHECK(error_column("'x' IN ('x')") == 5);
  CHECK(error_column("/* open") == 1);
  SECTION("the message carries the position") {
    try {
      Selector::parse("amount > 100 AND region = ");
      FAIL("no error");
    } catch (const SyntaxError& error) {
      CHECK(std::string(error.what()).find("at column 27") != std::string::npos);
    }
  }
}

TEST_CASE("sql92 evaluation: the broker's typing and null rules", "[filter][sql92]") {
  struct Case {
    const char* expression;
    Properties properties;
    Result expected;
  };
  const Case cases[] = {
      // missing property: comparisons unknown, never a match
      {"region = 'us-west'", {}, Result::Null},
      {"region <> 'us-west'", {}, Result::Null},
      {"amount > 100", {}, Result::Null},
      {"region IN ('a', 'b')", {}, Result::Null},
      {"region NOT IN ('a', 'b')", {}, Result::Null},
      {"region IS NULL", {}, Result::True},
      {"region IS NOT NULL", {}, Result::False},
      {"region CONTAINS 'w'", {}, Result::False},
      {"region NOT CONTAINS 'w'", {}, Result::False},
      {"a = b", {}, Result::True},  // null == null in the broker's equality
      {"a = b", {{"b", "x"}}, Result::Null},
      {"a = b", {{"a", "x"}}, Result::False},
      // three-valued logic
      {"region = 'x' AND amount > 1", {{"amount", "0"}}, Result::False},
      {"region = 'x' AND amount > 1", {{"amount", "5"}}, Result::Null},
      {"region = 'x' OR amount > 1", {{"amount", "5"}}, Result::True},
      {"region = 'x' OR amount > 1", {{"amount", "0"}}, Result::Null},
      {"NOT (region = 'x')", {}, Result::Null},
      // strings against numbers: converted to the number's type
      {"amount > 100", {{"amount", "150"}}, Result::True},
      {"amount > 100", {{"amount", "100"}}, Result::False},
      {"amount >= 100", {{"amount", "100"}}, Result::True},
      {"amount = 100", {{"amount", "100"}}, Result::True},
      {"amount = 100", {{"amount", "+100"}}, Result::True},
      {"amount > 100", {{"amount", "150.5"}}, Result::Error},  // Integer.valueOf("150.5") throws
      {"amount > 100", {{"amount", " 150"}}, Result::Error},
      {"amount > 100.0", {{"amount", "150.5"}}, Result::True},
      {"amount > 100.0", {{"amount", " 150.5 "}}, Result::True},  // Double.valueOf trims
      {"amount > 100.0", {{"amount", "1e3"}}, Result::True},
      {"amount < 100.0", {{"amount", "NaN"}}, Result::False},
      {"amount > 100", {{"amount", "abc"}}, Result::Error},
      {"amount = 100", {{"amount", "abc"}}, Result::Error},
      {"amount BETWEEN 100 AND 200", {{"amount", "150"}}, Result::True},
      {"amount NOT BETWEEN 100 AND 200", {{"amount", "150"}}, Result::False},
      {"amount BETWEEN 100 AND 200", {{"amount", "250"}}, Result::False},
      {"amount = 2147483648", {{"amount", "2147483648"}}, Result::True},
      {"amount = -7", {{"amount", "-7"}}, Result::True},
      {"-amount = -7", {{"amount", "7"}}, Result::Null},  // negating a string gives NULL
      // two properties under > compare as doubles
      {"a > b", {{"a", "10"}, {"b", "9"}}, Result::True},
      {"a > b", {{"a", "10"}, {"b", "x"}}, Result::Error},
      // an error anywhere the evaluation reaches fails the whole expression ...
      {"amount > 100 OR region = 'us-west'", {{"amount", "x"}, {"region", "us-west"}}, Result::Error},
      // ... unless AND / OR short-circuits before it
      {"region = 'us-west' OR amount > 100", {{"amount", "x"}, {"region", "us-west"}}, Result::True},
      {"region = 'eu' AND amount > 100", {{"amount", "x"}, {"region", "us-west"}}, Result::False},
      // booleans
      {"flag = TRUE", {{"flag", "true"}}, Result::True},
      {"flag = TRUE", {{"flag", "TRUE"}}, Result::True},
      {"flag = TRUE", {{"flag", "yes"}}, Result::False},
      {"flag = FALSE", {{"flag", "yes"}}, Result::True},
      {"flag", {{"flag", "true"}}, Result::False},  // a property is never a Boolean
      {"flag", {}, Result::Null},
      {"NOT flag", {{"flag", "true"}}, Result::True},
      {"1 = TRUE", {}, Result::False},
      // strings
      {"region = 'us-west'", {{"region", "us-west"}}, Result::True},
      {"region = 'US-WEST'", {{"region", "us-west"}}, Result::False},
      {"region <> 'us-west'", {{"region", "us-east"}}, Result::True},
      {"region IN ('us-west', 'eu')", {{"region", "eu"}}, Result::True},
      {"region NOT IN ('us-west', 'eu')", {{"region", "ap"}}, Result::True},
      {"region CONTAINS 'west'", {{"region", "us-west"}}, Result::True},
      {"region STARTSWITH 'us'", {{"region", "us-west"}}, Result::True},
      {"region ENDSWITH 'west'", {{"region", "us-west"}}, Result::True},
      {"region NOT ENDSWITH 'west'", {{"region", "us-west"}}, Result::False},
      {"region CONTAINS ''", {{"region", "us-west"}}, Result::False},
      {"region = '区域'", {{"region", "区域"}}, Result::True},
      // system properties are properties too
      {"TAGS IS NULL OR TAGS NOT IN ('order_cancelled')", {{"TAGS", "order_paid"}}, Result::True},
      {"TAGS IS NULL OR TAGS NOT IN ('order_cancelled')", {}, Result::True},
      {"TAGS IS NULL OR TAGS NOT IN ('order_cancelled')", {{"TAGS", "order_cancelled"}}, Result::False},
  };
  for (const auto& c : cases) {
    INFO(c.expression);
    CHECK(eval(c.expression, c.properties) == c.expected);
  }
}

TEST_CASE("Java number parsing", "[filter][sql92]") {
  using rocketmq::filter::sql92::java_parse_double;
  using rocketmq::filter::sql92::java_parse_int;
  using rocketmq::filter::sql92::java_parse_long;
  std::int32_t i = 0;
  CHECK(java_parse_int("2147483647", i));
  CHECK(i == 2147483647);
  CHECK(java_parse_int("-2147483648", i));
  CHECK(i == -2147483647 - 1);
  CHECK_FALSE(java_parse_int("2147483648", i));
  CHECK_FALSE(java_parse_int("-", i));
  CHECK_FALSE(java_parse_int("1.0", i));
  CHECK_FALSE(java_parse_int("", i));
  std::int64_t l = 0;
  CHECK(java_parse_long("-9223372036854775808", l));
  CHECK_FALSE(java_parse_long("9223372036854775808", l));
  double d = 0;
  CHECK(java_parse_double(" 1.5f ", d));
  CHECK(d == 1.5);
  CHECK(java_parse_double("-Infinity", d));
  CHECK(std::isinf(d));
  CHECK(java_parse_double("0x1p3", d));
  CHECK(d == 8.0);
  CHECK(java_parse_double("1e400", d));
  CHECK(std::isinf(d));
  CHECK_FALSE(java_parse_double("0x10", d));
  CHECK_FALSE(java_parse_double("1.2.3", d));
  CHECK_FALSE(java_parse_double("inf", d));
  CHECK_FALSE(java_parse_double("", d));
}
