#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "capi/handle.h"
#include "rocketmq/CPushConsumer.h"
#include "rocketmq/push_consumer.h"

namespace rocketmq::capi {

// A CPushConsumer: options, subscriptions and the callback gathered until StartPushConsumer builds
// the PushConsumer from them.
class PushConsumerHandle : public Handle {
 public:
  static constexpr Kind kKind = Kind::PushConsumer;
  using CType = CPushConsumer;  // the C handle this class is behind
  PushConsumerHandle() : Handle(kKind) {}
  ~PushConsumerHandle() override;

  std::mutex mutex;  // guards everything below
  ConsumerOption option;
  std::map<std::string, std::string> subscriptions;  // topic -> tag expression, last Subscribe wins
  MessageCallBack callback = nullptr;                // last Register* wins
  bool orderly = false;
  std::unique_ptr<PushConsumer> consumer;  // set by StartPushConsumer
  bool started = false;
  std::string group;  // what GetPushConsumerGroupID returned
  std::string version;
};

}  // namespace rocketmq::capi
