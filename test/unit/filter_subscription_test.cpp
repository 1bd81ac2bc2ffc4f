#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "filter/subscription.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

using rocketmq::BrokerError;
using rocketmq::ClientError;
using rocketmq::ExpressionType;
using rocketmq::filter::build_subscription;
using rocketmq::filter::classify;
using rocketmq::filter::ExpressionKind;
using rocketmq::filter::matches;
using rocketmq::protocol::StoredMessage;
using rocketmq::protocol::SubscriptionData;

namespace {

StoredMessage message(const std::string& tag, std::map<std::string, std::string> properties = {}) {
  StoredMessage stored;
  stored.tags = tag;
  if (!tag.empty()) properties["TAGS"] = tag;
  stored.properties = std::move(properties);
  return stored;
}

std::string build_error(const std::string& expression, ExpressionType type) {
  try {
    build_subscription("T", expression, type);
  } catch (const ClientError& error) {
    return error.what();
  }
  FAIL("accepted: " << expression);
  return "";
}

}  // namespace

TEST_CASE("detection rule: all, tag list, exclusion, SQL92", "[filter]") {
  struct Case {
    const char* expression;
    ExpressionKind kind;
    std::vector<std::string> tags;
  };
  const Case cases[] = {
      {"*", ExpressionKind::All, {}},
      {"", ExpressionKind::All, {}},
      {"  *  ", ExpressionKind::All, {}},
      {"order_created", ExpressionKind::Tags, {"order_created"}},
      {"order_created || order_paid", ExpressionKind::Tags, {"order_created", "order_paid"}},
      {" a ||| b ", ExpressionKind::Tags, {"a", "| b"}},  // Java splits on "||" the same way
      {"a || || b ||", ExpressionKind::Tags, {"a", "b"}},
      {"a || a", ExpressionKind::Tags, {"a"}},
      {"Tag A || order-paid.v2", ExpressionKind::Tags, {"Tag A", "order-paid.v2"}},  // blanks inside a tag
      {"订单 || 付款", ExpressionKind::Tags, {"订单", "付款"}},
      {"NULL", ExpressionKind::Tags, {"NULL"}},  // one word is always a tag
      {"!(order_cancelled)", ExpressionKind::TagExclusion, {"order_cancelled"}},
      {"!( a || b )", ExpressionKind::TagExclusion, {"a", "b"}},
      {"!a", ExpressionKind::TagExclusion, {"a"}},
      {"! a", ExpressionKind::TagExclusion, {"a"}},
      {"!a || b", ExpressionKind::Sql92, {}},  // ambiguous: not a tag form, and not SQL92 either
      {"region = 'us-west'", ExpressionKind::Sql92, {}},
      {"amount > 100 AND region = 'us-west'", ExpressionKind::Sql92, {}},
      {"TAGS IS NOT NULL", ExpressionKind::Sql92, {}},  // several words with a keyword
      {"a AND b", ExpressionKind::Sql92, {}},
      {"region IN ('a','b')", ExpressionKind::Sql92, {}},
      {"a || region = 'x'", ExpressionKind::Sql92, {}},
      {"!(a = 1)", ExpressionKind::Sql92, {}},
  };
  for (const auto& c : cases) {
    INFO(c.expression);
    const auto classified = classify(c.expression);
    CHECK(classified.kind == c.kind);
    CHECK(classified.tags == c.tags);
    CHECK(rocketmq::filter::detect_expression_type(c.expression) ==
          (c.kind == ExpressionKind::Sql92 ? ExpressionType::Sql92 : ExpressionType::Tag));
  }
}

TEST_CASE("build_subscription: what the broker is asked for", "[filter]") {
  SECTION("all") {
    const auto s = build_subscription("T", "", ExpressionType::Tag);
    CHECK(s.sub_string == "*");
    CHECK(s.expression_type == "TAG");
    CHECK(s.tags_set.empty());
    CHECK(s.code_set.empty());
  }
  SECTION("tags with Java hash codes, spaces and non-ASCII included") {
    const auto s = build_subscription("T",
                                      " TagA || Tag A || 订单 || a\xF0\x9F\x98\x80"
                                      "b ",
                                      ExpressionType::Tag);
    CHECK(s.expression_type == "TAG");
    CHECK(s.sub_string ==
          "TagA || Tag A || 订单 || a\xF0\x9F\x98\x80"
          "b");
    CHECK(s.tags_set == std::vector<std::string>{"TagA", "Tag A", "订单",
                                                 "a\xF0\x9F\x98\x80"
                                                 "b"});
    CHECK(s.code_set == std::vector<std::int32_t>{2598919, 80565531, 1129459, 57849694});
  }
  SECTION("exclusion is broad at the broker") {
    const auto s = build_subscription("T", "!(order_cancelled || order_paid)", ExpressionType::Tag);
    CHECK(s.expression_type == "TAG");
    CHECK(s.sub_string == "*");
    CHECK(s.code_set.empty());
  }
  SECTION("SQL92 keeps its text") {
    const auto s = build_subscription("T", " region = 'us-west' ", ExpressionType::Sql92);
    CHECK(s.expression_type == "SQL92");
    CHECK(s.sub_string == "region = 'us-west'");
    CHECK(s.tags_set.empty());
  }
  SECTION("subVersions are unique and increasing") {
    const auto a = build_subscription("T", "*", ExpressionType::Tag);
    const auto b = build_subscription("T", "*", ExpressionType::Tag);
    CHECK(b.sub_version > a.sub_version);
  }
}

TEST_CASE("build_subscription rejects what it cannot use, naming the position", "[filter]") {
  const auto sql_error = build_error("  region = ", ExpressionType::Sql92);
  CHECK(sql_error.find("column 11") != std::string::npos);  // columns of the expression as given
  CHECK(sql_error.find("topic T") != std::string::npos);
  CHECK(build_error("amount > 100 AND", ExpressionType::Sql92).find("column 17") != std::string::npos);
  CHECK(build_error("!(a || b", ExpressionType::Sql92).find("column 1") != std::string::npos);
  CHECK(build_error("", ExpressionType::Sql92).find("empty") != std::string::npos);
  CHECK(build_error("||", ExpressionType::Tag).find("no tag") != std::string::npos);
  // by_tag with SQL92 points to by_sql
  CHECK(build_error("region = 'x'", ExpressionType::Tag).find("by_sql") != std::string::npos);
}

TEST_CASE("matches: tags re-checked, exclusions and SQL92 applied on the client", "[filter]") {
  SECTION("tag list: hash collisions do not get through") {
    const auto s = build_subscription("T", "order_created || order_paid", ExpressionType::Tag);
    CHECK(matches(s, message("order_created")));
    CHECK(matches(s, message("order_paid")));
    CHECK_FALSE(matches(s, message("order_cancelled")));
    CHECK_FALSE(matches(s, message("")));
  }
  SECTION("exclusion keeps untagged messages") {
    const auto s = build_subscription("T", "!(order_cancelled)", ExpressionType::Tag);
    CHECK(matches(s, message("order_created")));
    CHECK(matches(s, message("")));
    CHECK_FALSE(matches(s, message("order_cancelled")));
    // another subscription of the same topic is not affected
    CHECK(matches(build_subscription("T", "*", ExpressionType::Tag), message("order_cancelled")));
  }
  SECTION("SQL92") {
    const auto s = build_subscription("T", "amount > 100 AND region = 'us-west'", ExpressionType::Sql92);
    CHECK(matches(s, message("", {{"amount", "150"}, {"region", "us-west"}})));
    CHECK_FALSE(matches(s, message("", {{"amount", "50"}, {"region", "us-west"}})));
    CHECK_FALSE(matches(s, message("", {{"region", "us-west"}})));
  }
  SECTION("the fallback is broad at the broker and evaluates the SQL here") {
    const auto sql = build_subscription("T", "region = 'us-west'", ExpressionType::Sql92);
    const auto broad = rocketmq::filter::client_side_fallback(sql);
    CHECK(broad.expression_type == "TAG");
    CHECK(broad.sub_string == "*");
    CHECK(broad.sub_version > sql.sub_version);
    CHECK(matches(broad, message("x", {{"region", "us-west"}})));
    CHECK_FALSE(matches(broad, message("x", {{"region", "eu"}})));
    CHECK_FALSE(matches(broad, message("x")));
  }
}

TEST_CASE("broker_refuses_sql92 recognises the broker's answers and names the reason", "[filter]") {
  using rocketmq::filter::broker_refuses_sql92;
  const int system_error = static_cast<int>(rocketmq::protocol::ResponseCode::kSystemError);
  const auto filtering_off = broker_refuses_sql92(std::make_exception_ptr(
      BrokerError(system_error, "The broker does not support consumer to filter message by SQL92", "pull failed")));
  REQUIRE(filtering_off);
  CHECK_THAT(*filtering_off, Catch::Contains("enablePropertyFilter=false"));
  // What a 4.9 broker answers a pull whose expression uses STARTSWITH (its grammar predates it).
  const auto parse_failed = broker_refuses_sql92(
      std::make_exception_ptr(BrokerError(static_cast<int>(rocketmq::protocol::ResponseCode::kSubscriptionParseFailed),
                                          "parse the consumer's subscription failed", "pull failed")));
  REQUIRE(parse_failed);
  CHECK_THAT(*parse_failed, Catch::Contains("before 5.0"));
  CHECK_FALSE(broker_refuses_sql92(std::make_exception_ptr(BrokerError(system_error, "disk full", "x"))));
  CHECK_FALSE(broker_refuses_sql92(std::make_exception_ptr(ClientError("x"))));
  CHECK_FALSE(broker_refuses_sql92(nullptr));
}
