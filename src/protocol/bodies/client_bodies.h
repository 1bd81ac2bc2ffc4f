#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

// GET_CONSUMER_LIST_BY_GROUP answer: {"consumerIdList":["<clientId>",...]}.
struct GetConsumerListByGroupResponseBody {
  std::vector<std::string> consumer_id_list;

  static GetConsumerListByGroupResponseBody decode(std::string_view json);
  std::string encode() const;  // for test peers
};

// `consumeResult` values (`CMResult.java`).
inline constexpr const char* kConsumeResultSuccess = "CR_SUCCESS";
inline constexpr const char* kConsumeResultLater = "CR_LATER";
inline constexpr const char* kConsumeResultRollback = "CR_ROLLBACK";
inline constexpr const char* kConsumeResultCommit = "CR_COMMIT";
inline constexpr const char* kConsumeResultThrowException = "CR_THROW_EXCEPTION";
inline constexpr const char* kConsumeResultReturnNull = "CR_RETURN_NULL";

// CONSUME_MESSAGE_DIRECTLY answer body.
struct ConsumeMessageDirectlyResult {
  bool order = false;
  bool auto_commit = true;
  std::string consume_result = kConsumeResultSuccess;
  std::optional<std::string> remark;
  int64_t spent_time_mills = 0;

  std::string encode() const;
  static ConsumeMessageDirectlyResult decode(std::string_view json);  // for tests
};

// GET_CONSUMER_STATUS_FROM_CLIENT answer body: {"consumerTable":{},"messageQueueTable":{{mq}:offset}}.
struct GetConsumerStatusBody {
  std::map<MessageQueue, int64_t> message_queue_table;

  std::string encode() const;
};

}  // namespace protocol
}  // namespace rocketmq
