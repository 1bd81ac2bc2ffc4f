#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "protocol/bodies/heartbeat_data.h"
#include "protocol/stored_message.h"
#include "rocketmq/message_selector.h"

namespace rocketmq::filter {

// The one place where subscription expressions are interpreted: what the broker is asked for
// (SubscriptionData in heartbeats and pulls) and what the client re-checks after the broker's
// filter, or filters itself where the broker cannot.
//
// Detection rule for a string given to PushConsumer::subscribe (MessageSelector::by_tag accepts
// only the first three forms, MessageSelector::by_sql only the fourth), on the trimmed expression:
//   1. "*" or "" ............................ everything.
//   2. "a || b || c" ........................ a tag list: split on "||", every element trimmed, empty
//      elements dropped, and every element a BARE TAG: none of the characters ' " ( ) = < > ! , and,
//      when it has several blank-separated words, none of them an SQL92 keyword (NOT AND OR BETWEEN
//      IN TRUE FALSE NULL IS CONTAINS STARTSWITH ENDSWITH, any case). "order paid" is a tag;
//      "TAGS IS NOT NULL" is not.
//   3. "!(a || b)" or "!a" .................. tag exclusion: "!" then a parenthesised tag list, or
//      one bare tag. Matches every message whose tag is not listed, untagged messages included.
//   4. anything else that parses as SQL92 ... an SQL92 selector over message properties (sql92.h).
//   Otherwise subscribe() throws ClientError naming the column where SQL92 parsing failed.
//
// What the broker is asked for:
//   all, tags ....... TAG with the expression (tags' Java String.hashCode codes); tag strings are
//                     re-checked here because the broker compares hashes only.
//   exclusion ....... TAG "*" (the broker's tag filter cannot negate); the exclusion is applied here.
//   SQL92 ........... SQL92 with the expression; re-evaluated here (the same rules, sql92.h). When a
//                     broker refuses SQL92 the subscription is replaced by client_side_fallback().
// Messages this filter drops are never delivered, but their offsets are still committed (the pull
// path lets the process queue's high-water mark cover them).

enum class ExpressionKind { All, Tags, TagExclusion, Sql92 };

struct ClassifiedExpression {
  ExpressionKind kind = ExpressionKind::All;
  std::vector<std::string> tags;  // Tags and TagExclusion: the listed tags, deduplicated, in order
};

// Applies rules 1-3; anything else is classified as Sql92 without being parsed.
ClassifiedExpression classify(const std::string& expression);

// Tag for rules 1-3, Sql92 otherwise: the type PushConsumer::subscribe(topic, string) uses.
ExpressionType detect_expression_type(const std::string& expression);

// Throws ClientError naming the topic, the expression and (for SQL92) the column of the error.
protocol::SubscriptionData build_subscription(const std::string& topic, const std::string& expression,
                                              ExpressionType type);

// Whether a message the broker delivered really matches the subscription it was pulled with.
bool matches(const protocol::SubscriptionData& subscription, const protocol::StoredMessage& message);

// Whether matches() is true for every message under `subscription` ("*" without a client-side
// filter): then a pull result's messages need no check, and their lazy fields stay unread.
bool accepts_everything(const protocol::SubscriptionData& subscription);

// Why a pull failed because the broker will not evaluate the SQL92 expression it carried, or
// nullopt when it failed for another reason:
// * property filtering is off there (enablePropertyFilter=false: SYSTEM_ERROR "The broker does not
//   support consumer to filter message by SQL92", docs/protocol.md §4.3 / §8.2);
// * it cannot parse an expression this client accepted (SUBSCRIPTION_PARSE_FAILED): brokers before
//   5.0 have no CONTAINS, STARTSWITH or ENDSWITH in their grammar.
std::optional<std::string> broker_refuses_sql92(const std::exception_ptr& error);

// For an SQL92 subscription a broker refused: TAG "*" at the broker (fresh subVersion) with the SQL
// evaluated by matches() on every message instead.
protocol::SubscriptionData client_side_fallback(const protocol::SubscriptionData& sql92_subscription);

}  // namespace rocketmq::filter
