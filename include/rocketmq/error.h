#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "rocketmq/export.h"

namespace rocketmq {

// The one exception hierarchy of the SDK. Only setup calls (option setters, subscribe, start,
// synchronous sends and admin calls) throw; background work reports errors through logs, stats
// and callback error values.
//
//   Error
//   ├── ClientError     invalid argument or state on our side (bad topic, oversize body, not started)
//   ├── ProtocolError   a peer sent bytes we cannot decode (malformed frame, header or body)
//   ├── ConnectError    a connection could not be opened or was lost before the answer came
//   ├── TimeoutError    no answer within the deadline
//   └── BrokerError     the name server or broker answered with an error code and remark
//       └── AuthError   the broker refused our credentials or this operation (ACL): wrong secret,
//                       unknown access key, no permission on the topic or group
class ROCKETMQ_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  ~Error() override;
};

class ROCKETMQ_API ClientError : public Error {
 public:
  explicit ClientError(const std::string& what) : Error(what) {}
  ~ClientError() override;
};

class ROCKETMQ_API ProtocolError : public Error {
 public:
  explicit ProtocolError(const std::string& what) : Error(what) {}
  ~ProtocolError() override;
};

class ROCKETMQ_API ConnectError : public Error {
 public:
  explicit ConnectError(const std::string& what) : Error(what) {}
  ~ConnectError() override;
};

class ROCKETMQ_API TimeoutError : public Error {
 public:
  explicit TimeoutError(const std::string& what) : Error(what) {}
  ~TimeoutError() override;
};

class ROCKETMQ_API BrokerError : public Error {
 public:
  BrokerError(int response_code, std::string remark, const std::string& what)
      : Error(what), response_code_(response_code), remark_(std::move(remark)) {}
  ~BrokerError() override;

  // The response code from docs/protocol.md §5 (for example 17 TOPIC_NOT_EXIST, 16 NO_PERMISSION).
  int response_code() const noexcept { return response_code_; }
  // The peer's remark, verbatim (may be empty).
  const std::string& remark() const noexcept { return remark_; }

 private:
  int response_code_;
  std::string remark_;
};

// The broker rejected the request's authentication (bad signature, unknown access key) or
// authorisation (no permission for this resource). what() names the broker and carries its remark;
// it never contains a secret. Retrying with the same credentials fails the same way.
class ROCKETMQ_API AuthError : public BrokerError {
 public:
  AuthError(int response_code, std::string remark, const std::string& what)
      : BrokerError(response_code, std::move(remark), what) {}
  ~AuthError() override;
};

// A failure of the SDK's background work, as handed to an error listener (ConsumerOption and
// ProducerOption::set_error_listener). The SDK carries on and retries by itself; this is for the
// application's monitoring and alerting. Also logged (WARN) and counted in the client's stats.
struct ROCKETMQ_API BackgroundError {
  // What failed: "pull", "offset_query" (where a newly owned queue starts), "commit_offset",
  // "heartbeat", "route_refresh"; "subscribe" for a subscription the broker's ACL refuses at
  // start() (reported on the thread calling start(); the consumer goes on without that topic).
  std::string operation;
  // The error's text, naming the broker, queue or topic (never a secret).
  std::string what;
  // The exception itself (rethrow it to test its type: ConnectError, TimeoutError, BrokerError...);
  // empty where the failure was already handled below as a value.
  std::exception_ptr error;
};

// Called on an SDK thread (an I/O thread or the scheduler), possibly on several at once: it must be
// thread-safe, return quickly and not call blocking SDK functions. Exceptions it throws are
// swallowed.
using ErrorListener = std::function<void(const BackgroundError& error)>;

}  // namespace rocketmq
