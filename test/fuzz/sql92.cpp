// Fuzz target: the SQL92 selector parser, and the evaluator on a few fixed messages for every
// expression that parses. Expressions come from applications (and are re-checked against what
// brokers deliver), so the parser has to fail with SyntaxError on anything, never crash or recurse
// without bound.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "filter/sql92.h"
#include "fuzz_check.h"

namespace {

namespace sql92 = rocketmq::filter::sql92;
using Properties = std::map<std::string, std::string>;

const std::vector<Properties>& messages() {
  static const std::vector<Properties> kMessages = {
      {},
      {{"a", "1"}, {"b", "abc"}, {"TAGS", "TagA"}, {"c", "3.5"}, {"d", "true"}, {"e", ""}},
      {{"a", "-2147483648"}, {"b", "9223372036854775807"}, {"c", "NaN"}, {"d", "1e400"}, {"x", "'"}},
  };
  return kMessages;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view expression(reinterpret_cast<const char*>(data), size);
  sql92::Selector selector;
  try {
    selector = sql92::Selector::parse(expression);
  } catch (const sql92::SyntaxError& error) {
    FUZZ_CHECK(error.column() >= 1 && error.column() <= expression.size() + 1);
    return 0;
  }
  FUZZ_CHECK(selector.text() == expression);
  for (const auto& properties : messages()) {
    const sql92::Result result = selector.evaluate(properties);
    FUZZ_CHECK(selector.matches(properties) == (result == sql92::Result::True));
  }
  return 0;
}
