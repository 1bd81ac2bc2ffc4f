#pragma once

#include <map>
#include <string>

#include "capi/handle.h"
#include "rocketmq/message.h"

namespace rocketmq::capi {

// A CMessage: the message plus the strings its getters returned, which must outlive the call
// (a const char* stays valid while the handle lives, or until that field changes).
class MessageHandle : public Handle {
 public:
  static constexpr Kind kKind = Kind::Message;
  explicit MessageHandle(std::string topic) : Handle(kKind), message(std::move(topic), std::string()) {}
  ~MessageHandle() override;

  // Keeps `value` under `slot` and returns its text; the text of another slot is left alone.
  const char* keep(const std::string& slot, std::string value);

  Message message;

 private:
  std::map<std::string, std::string> kept_;
};

}  // namespace rocketmq::capi
