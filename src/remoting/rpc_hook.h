#pragma once

#include <string>

#include "remoting/remoting_command.h"

namespace rocketmq::remoting {

// Sees every outgoing request just before it is encoded (on the caller's thread), and every
// response before its callback. Request signing for ACL is one.
class RpcHook {
 public:
  virtual ~RpcHook() = default;
  virtual void before_request(const std::string& address, RemotingCommand& request) = 0;
  virtual void after_response(const std::string& address, const RemotingCommand& request,
                              const RemotingCommand& response) {}
};

}  // namespace rocketmq::remoting
