#include "rocketmq/message.h"

#include <charconv>
#include <string_view>
#include <utility>

#include "protocol/message_const.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace {

namespace property = protocol::message_property;

// Properties the broker or the SDK interpret. Letting an application set them through
// set_property would bypass the dedicated setters' checks or confuse the broker (a forged
// REAL_TOPIC, UNIQ_KEY or __transactionId__), so they are refused there. The list follows Java's
// MessageConst.STRING_HASH_SET plus the timer and request/reply keys.
constexpr std::string_view kReservedPropertyNames[] = {
    property::kTags,
    property::kKeys,
    property::kUniqKey,
    property::kWaitStoreMsgOk,
    property::kDelayTimeLevel,
    property::kRetryTopic,
    property::kRealTopic,
    property::kRealQueueId,
    property::kTransactionPrepared,
    property::kProducerGroup,
    property::kMinOffset,
    property::kMaxOffset,
    property::kTimerDeliverMs,
    property::kTimerDelayMs,
    property::kTimerDelaySec,
    property::kInnerNum,
    property::kInnerBase,
    property::kOriginMessageId,
    property::kReconsumeTime,
    property::kMaxReconsumeTimes,
    property::kConsumeStartTimestamp,
    property::kTransactionId,
    property::kTransactionCheckTimes,
    property::kCheckImmunityTimeInSeconds,
    property::kCluster,
    property::kMsgRegion,
    property::kTraceSwitch,
    property::kInstanceId,
    property::kCorrelationId,
    property::kReplyToClient,
    property::kMessageTtl,
    property::kMessageType,
    property::kShardingKey,
    property::kDlqOriginTopic,
    property::kDlqOriginMessageId,
    property::kCrc32,
    // Java MessageConst keys without a constant in message_const.h (nothing in the SDK reads them).
    "BUYER_ID",
    "TRANSFER_FLAG",
    "CORRECTION_FLAG",
    "MQ2_FLAG",
    "TRAN_PREPARED_QUEUE_OFFSET",
    "ARRIVE_TIME",
    "PUSH_REPLY_TIME",
    "POP_CK",
    "POP_CK_OFFSET",
    "1ST_POP_TIME",
    "TIMER_ENQUEUE_MS",
    "TIMER_DEQUEUE_MS",
    "TIMER_ROLL_TIMES",
    "TIMER_OUT_MS",
    "TIMER_DEL_UNIQKEY",
    "TIMER_DELAY_LEVEL",
    "INNER_MULTI_DISPATCH",
    "INNER_MULTI_QUEUE_OFFSET",
    "BORN_TIMESTAMP",
};

bool is_reserved_property(std::string_view name) noexcept {
  for (std::string_view reserved : kReservedPropertyNames) {
    if (name == reserved) return true;
  }
  return false;
}

// The properties travel as one string of name 0x01 value 0x02 pairs (docs/protocol.md §6.2); a separator
// inside a name or value would split the pair differently on the broker.
bool has_separator(std::string_view text) noexcept {
  return text.find(property::kNameValueSeparator) != std::string_view::npos ||
         text.find(property::kPropertySeparator) != std::string_view::npos;
}

void check_property(const std::string& name, const std::string& value) {
  if (name.empty()) throw ClientError("invalid message property name \"\": must not be empty");
  if (has_separator(name)) {
    throw ClientError("invalid message property name \"" + name +
                      "\": must not contain the bytes 0x01 or 0x02");
  }
  if (has_separator(value)) {
    throw ClientError("invalid value of message property \"" + name +
                      "\": must not contain the bytes 0x01 or 0x02");
  }
}

// 0 when absent or not a number: a received property may hold anything.
std::int64_t parse_int64(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

}  // namespace

Message::Message(std::string topic, std::string body) : topic_(std::move(topic)), body_(std::move(body)) {}

Message::Message(std::string topic, std::string tags, std::string body)
    : topic_(std::move(topic)), body_(std::move(body)) {
  set_tags(tags);
}

void Message::set_tags(const std::string& tags) {
  if (tags.empty()) {
    properties_.erase(property::kTags);
  } else {
    set_system_property(property::kTags, tags);
  }
}

void Message::set_keys(const std::string& keys) {
  if (keys.empty()) {
    properties_.erase(property::kKeys);
  } else {
    set_system_property(property::kKeys, keys);
  }
}

int Message::delay_level() const {
  return static_cast<int>(parse_int64(property(property::kDelayTimeLevel)));
}

// Levels above 18 are accepted: brokers can configure a longer messageDelayLevel table, and one with
// the default table clamps the level to its last entry.
void Message::set_delay_level(int level) {
  if (level < 0) {
    throw ClientError(
        "delay level must be 0 (no delay) or a level of the broker's table (1..18 by default), got " +
        std::to_string(level));
  }
  if (level == 0) {
    properties_.erase(property::kDelayTimeLevel);
  } else {
    properties_[property::kDelayTimeLevel] = std::to_string(level);
  }
}

void Message::set_delivery_timestamp(std::int64_t epoch_millis) {
  if (epoch_millis < 0) {
    throw ClientError("delivery timestamp must be 0 (none) or milliseconds since the epoch, got " +
                      std::to_string(epoch_millis));
  }
  if (epoch_millis == 0) {
    properties_.erase(property::kTimerDeliverMs);
  } else {
    properties_[property::kTimerDeliverMs] = std::to_string(epoch_millis);
  }
}

std::int64_t Message::delivery_timestamp() const { return parse_int64(property(property::kTimerDeliverMs)); }

void Message::set_property(const std::string& name, const std::string& value) {
  if (is_reserved_property(name)) {
    throw ClientError("message property \"" + name +
                      "\" is reserved by RocketMQ; use the dedicated setter (set_tags, set_keys, "
                      "set_delay_level, ...) if there is one");
  }
  set_system_property(name, value);
}

std::string Message::property(const std::string& name) const {
  const auto it = properties_.find(name);
  return it == properties_.end() ? std::string() : it->second;
}

bool Message::has_property(const std::string& name) const { return properties_.count(name) != 0; }

void Message::remove_property(const std::string& name) { properties_.erase(name); }

void Message::set_system_property(const std::string& name, const std::string& value) {
  check_property(name, value);
  properties_[name] = value;
}

}  // namespace rocketmq
