#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/option_table.h"
#include "consumer/consumer_option_table.h"
#include "producer/producer_option_table.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/producer_option.h"

// The option tables against docs/configuration.md and against the setters: the doc shows every row
// with the row's default and range and nothing else, and every numeric setter rejects min-1 and max+1
// with the row's text and accepts min and max.

namespace {

using rocketmq::ConsumerOption;
using rocketmq::ProducerOption;
using rocketmq::common::OptionKind;
using rocketmq::common::OptionRow;
using std::chrono::milliseconds;

struct DocRow {
  std::string default_text;
  std::string range;
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// Backticks are markup: the rows hold the text without them.
std::string plain(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != '`') out += c;
  }
  return trim(out);
}

// Cells of one table line; a '|' inside backticks (`[%|a-z]`) is text, not a separator.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool in_code = false;
  for (std::size_t i = 1; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '`') in_code = !in_code;
    if (c == '|' && !in_code) {
      out.push_back(trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  return out;
}

// The option table under the heading "## <heading>" of docs/configuration.md, by option name.
std::map<std::string, DocRow> doc_table(const std::string& heading) {
  std::ifstream in(std::string(ROCKETMQ_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  std::map<std::string, DocRow> rows;
  std::string line;
  bool in_section = false;
  bool seen_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      if (in_section) break;
      in_section = line == "## " + heading;
      continue;
    }
    if (!in_section) continue;
    if (line.rfind("| ", 0) != 0) {
      if (seen_table) break;  // the first table of the section only
      continue;
    }
    seen_table = true;
    const auto row = cells(line);
    REQUIRE(row.size() == 4);  // option | default | range | notes
    if (row[0] == "option" || row[0].rfind("---", 0) == 0) continue;
    INFO(line);
    REQUIRE(row[0].size() > 2);
    REQUIRE(row[0].front() == '`');
    REQUIRE(row[0].back() == '`');
    const std::string name = row[0].substr(1, row[0].size() - 2);
    CHECK(rows.count(name) == 0);
    rows[name] = DocRow{plain(row[1]), plain(row[2])};
  }
  return rows;
}

template <std::size_t N>
void check_doc_matches(const std::string& heading, const OptionRow (&table)[N]) {
  const auto doc = doc_table(heading);
  REQUIRE_FALSE(doc.empty());
  std::set<std::string> names;
  for (const OptionRow& row : table) {
    const std::string name(row.name);
    INFO("docs/configuration.md, " << heading << ": " << name);
    CHECK(names.insert(name).second);
    CHECK_FALSE(row.type.empty());
    CHECK_FALSE(row.description.empty());
    const auto found = doc.find(name);
    REQUIRE(found != doc.end());
    CHECK(found->second.default_text == std::string(row.default_text));
    CHECK(found->second.range == std::string(row.range));
    // A kTimestamp's default_value is a look-back, not a value within min..max.
    if (row.kind != OptionKind::kOther && row.kind != OptionKind::kTimestamp) {
      CHECK(row.min <= row.default_value);
      CHECK(row.default_value <= row.max);
    }
  }
  for (const auto& [name, unused] : doc) {
    INFO("docs/configuration.md, " << heading << " lists an option the table lacks: " << name);
    CHECK(names.count(name) == 1);
  }
}

// An amount of a range text: a number with an optional unit (ms, s, min, h; KiB, MiB, GiB).
std::optional<std::int64_t> amount(const std::string& number, const std::string& unit) {
  const std::int64_t value = std::stoll(number);
  static const std::map<std::string, std::int64_t> kUnits = {
      {"", 1},          {"ms", 1},          {"s", 1000},        {"min", 60 * 1000}, {"h", 3600 * 1000},
      {"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", std::int64_t{1} << 30}};
  const auto found = kUnits.find(unit);
  if (found == kUnits.end()) return std::nullopt;
  return value * found->second;
}

// The min and max a numeric row's range text states: "A..B" with units ("100 ms..1 h"; a bare
// number takes the other end's unit: "0..65535 ms"), "X or A..B" (min X), text in parentheses
// ignored, "positive" for 1..no limit, "at least X" for X..no limit. nullopt for a text of another shape.
std::optional<std::pair<std::int64_t, std::int64_t>> stated_range(std::string text) {
  if (text.rfind("positive", 0) == 0) return std::make_pair(std::int64_t{1}, rocketmq::common::kNoLimit);
  if (text.rfind("at least ", 0) == 0) return std::make_pair(std::stoll(text.substr(9)), rocketmq::common::kNoLimit);
  text = std::regex_replace(text, std::regex("\\([^)]*\\)"), "");
  const auto dots = text.rfind("..");
  if (dots == std::string::npos) return std::nullopt;
  // A unit only where one follows the number ("-1 or 0..16": "or" is no unit).
  const std::regex amount_pattern("(-?[0-9]+)(?:\\s*(ms|s|min|h|KiB|MiB|GiB)\\b)?");
  std::smatch low;
  std::smatch high;
  const std::string head = text.substr(0, dots);
  const std::string tail = text.substr(dots + 2);
  if (!std::regex_search(head, low, amount_pattern) || !std::regex_search(tail, high, amount_pattern)) {
    return std::nullopt;
  }
  const auto max = amount(high[1], high[2]);
  const auto min = amount(low[1], low[2].length() == 0 ? std::string(high[2]) : std::string(low[2]));
  if (!min || !max) return std::nullopt;
  return std::make_pair(*min, *max);
}

template <std::size_t N>
void check_range_texts(const OptionRow (&table)[N]) {
  for (const OptionRow& row : table) {
    if (row.kind == OptionKind::kOther) continue;
    INFO(row.name << ": \"" << row.range << "\" against min " << row.min << ", max " << row.max);
    const auto stated = stated_range(std::string(row.range));
    REQUIRE(stated.has_value());
    CHECK(stated->first == row.min);
    CHECK(stated->second == row.max);
  }
}

template <typename Option>
struct Access {
  std::function<void(Option&, std::int64_t)> set;
  std::function<std::int64_t(const Option&)> get;
};

template <typename Option>
using AccessMap = std::map<std::string, Access<Option>>;

#define INT_ACCESS(Type, name) \
  { #name, {[](Type& o, std::int64_t v) { o.set_##name(static_cast<decltype(o.name())>(v)); }, \
            [](const Type& o) { return static_cast<std::int64_t>(o.name()); }} }
#define DURATION_ACCESS(Type, name) \
  { #name, {[](Type& o, std::int64_t v) { o.set_##name(milliseconds(v)); }, \
            [](const Type& o) { return static_cast<std::int64_t>(o.name().count()); }} }

AccessMap<ConsumerOption> consumer_access() {
  AccessMap<ConsumerOption> access = {
      INT_ACCESS(ConsumerOption, process_queue_size),
      INT_ACCESS(ConsumerOption, process_queue_bytes),
      INT_ACCESS(ConsumerOption, max_span),
      INT_ACCESS(ConsumerOption, pull_batch_size),
      INT_ACCESS(ConsumerOption, consume_batch_size),
      INT_ACCESS(ConsumerOption, consume_timestamp),
      INT_ACCESS(ConsumerOption, max_reconsume_times),
      DURATION_ACCESS(ConsumerOption, consume_thread_keep_alive),
      DURATION_ACCESS(ConsumerOption, pull_interval),
      DURATION_ACCESS(ConsumerOption, consume_timeout),
      DURATION_ACCESS(ConsumerOption, persist_offset_interval),
      DURATION_ACCESS(ConsumerOption, heartbeat_interval),
      DURATION_ACCESS(ConsumerOption, rebalance_interval),
      DURATION_ACCESS(ConsumerOption, route_refresh_interval),
      DURATION_ACCESS(ConsumerOption, shutdown_timeout),
      DURATION_ACCESS(ConsumerOption, request_timeout),
      DURATION_ACCESS(ConsumerOption, suspend_time),
  };
  // min and max are also checked against each other: make room first so that the range is what is
  // tested.
  access["consume_thread_min"] = {
      [](ConsumerOption& o, std::int64_t v) {
        o.set_consume_thread_max(1000);
        o.set_consume_thread_min(static_cast<int>(v));
      },
      [](const ConsumerOption& o) { return std::int64_t{o.consume_thread_min()}; }};
  access["consume_thread_max"] = {
      [](ConsumerOption& o, std::int64_t v) {
        o.set_consume_thread_min(1);
        o.set_consume_thread_max(static_cast<int>(v));
      },
      [](const ConsumerOption& o) { return std::int64_t{o.consume_thread_max()}; }};
  return access;
}

AccessMap<ProducerOption> producer_access() {
  return {
      DURATION_ACCESS(ProducerOption, send_timeout),
      INT_ACCESS(ProducerOption, retry_times),
      INT_ACCESS(ProducerOption, async_retry_times),
      INT_ACCESS(ProducerOption, compress_threshold),
      INT_ACCESS(ProducerOption, compress_level),
      INT_ACCESS(ProducerOption, max_message_size),
      INT_ACCESS(ProducerOption, max_pending_async_sends),
      DURATION_ACCESS(ProducerOption, request_timeout),
      DURATION_ACCESS(ProducerOption, route_refresh_interval),
  };
}

#undef INT_ACCESS
#undef DURATION_ACCESS

std::string expected_error(const OptionRow& row, std::int64_t value) {
  return std::string(row.name) + " must be " + std::string(row.range) + ", got " + std::to_string(value) +
         (row.kind == OptionKind::kDuration ? " ms" : "");
}

template <typename Option, std::size_t N>
void check_setters(const OptionRow (&table)[N], const AccessMap<Option>& access) {
  std::set<std::string> numeric;
  const Option defaults;
  for (const OptionRow& row : table) {
    if (row.kind == OptionKind::kOther) continue;
    const std::string name(row.name);
    numeric.insert(name);
    INFO(name);
    const auto found = access.find(name);
    REQUIRE(found != access.end());
    const auto& [set, get] = found->second;
    if (row.kind == OptionKind::kTimestamp) {
      // Computed at construction: now minus the row's look-back.
      const auto now = std::chrono::duration_cast<milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      CHECK(get(defaults) <= now - row.default_value);
      CHECK(get(defaults) > now - row.default_value - 60 * 1000);
    } else {
      CHECK(get(defaults) == row.default_value);
    }
    Option option;
    CHECK_THROWS_AS(set(option, row.min - 1), rocketmq::ClientError);
    CHECK_THROWS_WITH(set(option, row.min - 1), expected_error(row, row.min - 1));
    if (row.max != rocketmq::common::kNoLimit) {
      CHECK_THROWS_AS(set(option, row.max + 1), rocketmq::ClientError);
      CHECK_THROWS_WITH(set(option, row.max + 1), expected_error(row, row.max + 1));
    }
    CHECK_NOTHROW(set(option, row.min));
    CHECK_NOTHROW(set(option, row.max));
  }
  // A setter tested here whose row is missing would mean a range outside the table.
  for (const auto& [name, unused] : access) {
    INFO(name);
    CHECK(numeric.count(name) == 1);
  }
}

}  // namespace

TEST_CASE("docs/configuration.md shows the ConsumerOption table", "[options]") {
  check_doc_matches("ConsumerOption", rocketmq::consumer::kConsumerOptionTable);
}

TEST_CASE("docs/configuration.md shows the ProducerOption table", "[options]") {
  check_doc_matches("ProducerOption", rocketmq::producer::kProducerOptionTable);
}

TEST_CASE("docs/configuration.md shows the security option table", "[options]") {
  check_doc_matches("Security options (both ConsumerOption and ProducerOption)",
                    rocketmq::common::kSecurityOptionTable);
}

TEST_CASE("ConsumerOption setters reject min-1 and max+1 with the table's text", "[options]") {
  check_setters(rocketmq::consumer::kConsumerOptionTable, consumer_access());
}

TEST_CASE("ProducerOption setters reject min-1 and max+1 with the table's text", "[options]") {
  check_setters(rocketmq::producer::kProducerOptionTable, producer_access());
}

TEST_CASE("every numeric row's range text states its min and max", "[options]") {
  CHECK(stated_range("100 ms..1 h") == std::make_pair(std::int64_t{100}, std::int64_t{3600 * 1000}));
  CHECK(stated_range("-1 (meaning 16) or 0..16") == std::make_pair(std::int64_t{-1}, std::int64_t{16}));
  CHECK(stated_range("0..65535 ms") == std::make_pair(std::int64_t{0}, std::int64_t{65535}));
  CHECK_FALSE(stated_range("host:port").has_value());
  check_range_texts(rocketmq::consumer::kConsumerOptionTable);
  check_range_texts(rocketmq::producer::kProducerOptionTable);
  check_range_texts(rocketmq::common::kSecurityOptionTable);
}

// The defaults and ranges live in the option tables and docs/configuration.md only: a public header
// comment that states one ("(30 s)", "1..1024") would go stale when a row changes.
TEST_CASE("the public option headers state no default or range of their own", "[options]") {
  const std::string unit = R"((\s*(ms|s|min|h|KiB|MiB|GiB))?)";
  const std::regex range(R"(\d+)" + unit + R"(\s*\.\.\s*-?\d)");
  const std::regex value_in_parentheses(R"(\(-?\d[\d,]*(\.\d+)?)" + unit + R"(\s*[;,)])");
  const std::regex stated_limit(R"(\b(defaults?|at most|at least|up to|maximum|minimum)\b[^.;]*\d)",
                                std::regex::icase);
  const auto states_a_value = [&](const std::string& comment) {
    return std::regex_search(comment, range) || std::regex_search(comment, value_in_parentheses) ||
           std::regex_search(comment, stated_limit);
  };
  // What the headers said before, each caught.
  for (const char* old : {"// Per attempt (3 s).", "// (30 s; 1 s..1 h): a broker",
                          "// Messages: 1..1024 (32).", "// Defaults 20 and 64",
                          "// (4 MiB, the broker's default limit).",
                          "// the optional security token at most 4096"}) {
    INFO(old);
    CHECK(states_a_value(old));
  }
  for (const char* header : {"consumer_option.h", "producer_option.h", "security_option.h"}) {
    std::ifstream in(std::string(ROCKETMQ_SOURCE_DIR) + "/include/rocketmq/" + header);
    REQUIRE(in);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      const auto comment = line.find("//");
      if (comment == std::string::npos) continue;
      const auto text = line.substr(comment);
      INFO(header << ":" << number << ": " << text);
      CHECK_FALSE(states_a_value(text));
    }
  }
}
