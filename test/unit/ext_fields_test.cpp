#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/ext_fields.h"

using rocketmq::protocol::ExtFields;

namespace {

std::vector<std::string> names(const ExtFields& fields) {
  std::vector<std::string> out;
  for (const auto& [name, text] : fields) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("header fields stay sorted by name whatever order they come in", "[protocol]") {
  ExtFields fields;
  fields["queueId"] = "3";
  fields["consumerGroup"] = "GID";
  fields["topic"] = "T";
  fields["commitOffset"] = "7";
  fields["queueOffset"] = "12";  // between two present names
  CHECK(names(fields) == std::vector<std::string>{"commitOffset", "consumerGroup", "queueId", "queueOffset", "topic"});
  CHECK(fields.size() == 5);
  // Byte order, as std::string compares: upper case before lower case.
  fields["MSG_REGION"] = "r";
  CHECK(names(fields).front() == "MSG_REGION");
}

TEST_CASE("header fields: lookups, first-wins emplace, assignment, erase and equality", "[protocol]") {
  ExtFields fields{{"b", "2"}, {"a", "1"}, {"b", "ignored"}};
  CHECK(fields.size() == 2);
  CHECK(fields.at("b") == "2");  // of repeated names the first is kept, as in a map
  CHECK(fields.count("a") == 1);
  CHECK(fields.count("c") == 0);
  CHECK(fields.find("c") == fields.end());
  CHECK_THROWS_AS(fields.at("c"), std::out_of_range);

  const auto [kept, inserted] = fields.emplace("a", "other");
  CHECK_FALSE(inserted);
  CHECK(kept->second == "1");
  CHECK(fields.emplace("0", "zero").second);
  CHECK(names(fields) == std::vector<std::string>{"0", "a", "b"});

  fields["a"] = "changed";  // an existing field is assigned, not added
  CHECK(fields.size() == 3);
  CHECK(fields.at("a") == "changed");
  CHECK(fields["new"].empty());
  CHECK(fields.size() == 4);

  CHECK(fields.erase("0") == 1);
  CHECK(fields.erase("0") == 0);
  CHECK(fields == ExtFields{{"new", ""}, {"b", "2"}, {"a", "changed"}});
  CHECK(fields != ExtFields{{"a", "changed"}, {"b", "2"}});
  fields.clear();
  CHECK(fields.empty());
}
