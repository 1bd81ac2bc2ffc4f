#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "rocketmq/error.h"
#include "rocketmq/export.h"
#include "rocketmq/security_option.h"

namespace rocketmq {

// Configuration of a Producer. Setters validate and throw ClientError naming the option and the
// accepted range. The default and range of each numeric option are in docs/configuration.md, taken
// from the table the setters validate against (not repeated here, so they cannot drift).
// Credentials and TLS come from SecurityOption.
class ROCKETMQ_API ProducerOption : public SecurityOption {
 public:
  ProducerOption();

  // "host:port", several separated by ';'. Required.
  void set_name_server_addr(const std::string& addr);
  const std::string& name_server_addr() const noexcept { return name_server_addr_; }

  // Producer group (needed by transactional messages; "DEFAULT_PRODUCER" otherwise).
  void set_group_name(const std::string& group);
  const std::string& group_name() const noexcept { return group_name_; }

  void set_instance_name(const std::string& name);
  const std::string& instance_name() const noexcept { return instance_name_; }

  // Per attempt.
  void set_send_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds send_timeout() const noexcept { return send_timeout_; }

  // Extra attempts of a failed synchronous send, each on another broker when there is one.
  void set_retry_times(int times);
  int retry_times() const noexcept { return retry_times_; }
  // Extra attempts of a failed asynchronous send.
  void set_async_retry_times(int times);
  int async_retry_times() const noexcept { return async_retry_times_; }

  // Bodies at least this large are zlib-compressed, at this level.
  void set_compress_threshold(std::int64_t bytes);
  std::int64_t compress_threshold() const noexcept { return compress_threshold_; }
  void set_compress_level(int level);
  int compress_level() const noexcept { return compress_level_; }

  // Largest message (or batch) body accepted (by default the broker's default limit).
  void set_max_message_size(std::int64_t bytes);
  std::int64_t max_message_size() const noexcept { return max_message_size_; }

  // Asynchronous sends waiting for their answer; send(msg, callback) blocks the caller when the
  // limit is reached rather than growing memory without bound.
  void set_max_pending_async_sends(int sends);
  int max_pending_async_sends() const noexcept { return max_pending_async_sends_; }

  // After a failure, a broker is avoided for a while (latency fault tolerance; on).
  void set_latency_fault_tolerance(bool enabled) noexcept { latency_fault_tolerance_ = enabled; }
  bool latency_fault_tolerance() const noexcept { return latency_fault_tolerance_; }

  // Timeout of the SDK's own requests to name servers.
  void set_request_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

  // How often the routes of the topics sent to are fetched from the name server.
  void set_route_refresh_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds route_refresh_interval() const noexcept { return route_refresh_interval_; }

  // Background failures of this client (see BackgroundError), besides the log and the stats. Empty
  // (the default): only logged and counted.
  void set_error_listener(ErrorListener listener) { error_listener_ = std::move(listener); }
  const ErrorListener& error_listener() const noexcept { return error_listener_; }

 private:
  // The constructor sets the numeric defaults from the library's option table (the one
  // docs/configuration.md is checked against).
  std::string name_server_addr_;
  std::string group_name_ = "DEFAULT_PRODUCER";
  std::string instance_name_ = "DEFAULT";
  std::chrono::milliseconds send_timeout_;
  int retry_times_;
  int async_retry_times_;
  std::int64_t compress_threshold_;
  int compress_level_;
  std::int64_t max_message_size_;
  int max_pending_async_sends_;
  bool latency_fault_tolerance_ = true;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds route_refresh_interval_;
  ErrorListener error_listener_;
};

}  // namespace rocketmq
