#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "capi/handle.h"
#include "rocketmq/CProducer.h"
#include "rocketmq/producer.h"

namespace rocketmq::capi {

// A CProducer: the options gathered by the setters until StartProducer builds the Producer from
// them. Sends take a reference to the started Producer, so they run unlocked and in parallel.
class ProducerHandle : public Handle {
 public:
  static constexpr Kind kKind = Kind::Producer;
  using CType = CProducer;  // the C handle this class is behind
  ProducerHandle() : Handle(kKind) {}
  ~ProducerHandle() override;

  std::mutex mutex;
  ProducerOption option;               // guarded by mutex
  bool orderly = false;                // created by CreateOrderlyProducer
  std::shared_ptr<Producer> producer;  // set by StartProducer; guarded by mutex
  bool started = false;                // guarded by mutex
  std::string version;

  // The started producer, or null (with the error recorded) before StartProducer or after shutdown.
  std::shared_ptr<Producer> running(const char* function);
};

}  // namespace rocketmq::capi
