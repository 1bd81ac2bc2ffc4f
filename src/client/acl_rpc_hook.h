#pragma once

#include <string>

#include "protocol/ext_fields.h"
#include "remoting/rpc_hook.h"

namespace rocketmq::client {

// Access key, secret key and optional security token of an ACL user.
struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string security_token;  // empty: none is sent

  bool empty() const noexcept { return access_key.empty(); }
};

// Signs every outgoing request the way the Java client's AclClientRPCHook does, so brokers with
// ACL (1.0 or 2.0) accept it: the fields AccessKey (and SecurityToken when set) are added, then
// Signature = Base64(HMAC-SHA1(secret, values of all extension fields sorted by name, concatenated,
// followed by the body)). Runs on the caller's thread (RpcHook::before_request); stateless beyond
// the immutable credentials, so one instance serves every thread.
class AclRpcHook : public remoting::RpcHook {
 public:
  static constexpr const char* kAccessKey = "AccessKey";
  static constexpr const char* kSignature = "Signature";
  static constexpr const char* kSecurityToken = "SecurityToken";

  explicit AclRpcHook(Credentials credentials);

  void before_request(const std::string& address, remoting::RemotingCommand& request) override;

  // The signature of `fields` (a "Signature" field among them is skipped) and `body`.
  static std::string sign(const protocol::ExtFields& fields, const std::string& body,
                          const std::string& secret_key);

 private:
  const Credentials credentials_;
};

}  // namespace rocketmq::client
