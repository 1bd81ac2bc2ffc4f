#pragma once

#include <vector>

#include "capi/handle.h"
#include "rocketmq/message.h"

namespace rocketmq::capi {

// A CBatchMessage: copies of the messages added, sent whole by SendBatchMessage.
class BatchMessageHandle : public Handle {
 public:
  static constexpr Kind kKind = Kind::BatchMessage;
  BatchMessageHandle() : Handle(kKind) {}
  ~BatchMessageHandle() override;

  std::vector<Message> messages;
};

}  // namespace rocketmq::capi
