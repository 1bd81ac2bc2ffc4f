#pragma once

#include <map>
#include <string>

#include "capi/handle.h"
#include "rocketmq/message_ext.h"

namespace rocketmq::capi {

// A CMessageExt: a received message during one callback, plus the strings handed out for it.
class MessageExtHandle : public Handle {
 public:
  static constexpr Kind kKind = Kind::MessageExt;
  explicit MessageExtHandle(const MessageExt& received) : Handle(kKind), message(received) {}
  ~MessageExtHandle() override;

  const char* keep(const std::string& slot, std::string value);

  const MessageExt& message;

 private:
  std::map<std::string, std::string> kept_;
};

}  // namespace rocketmq::capi
