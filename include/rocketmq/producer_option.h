#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "rocketmq/error.h"
#include "rocketmq/export.h"

namespace rocketmq {

// Configuration of a Producer. Setters validate and throw ClientError naming the option.
class ROCKETMQ_API ProducerOption {
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

  // Per attempt (3 s).
  void set_send_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds send_timeout() const noexcept { return send_timeout_; }

  // Extra attempts of a failed synchronous send, each on another broker when there is one (2).
  void set_retry_times(int times);
  int retry_times() const noexcept { return retry_times_; }
  // Extra attempts of a failed asynchronous send (2).
  void set_async_retry_times(int times);
  int async_retry_times() const noexcept { return async_retry_times_; }

  // Bodies at least this large are zlib-compressed (4 KiB), at this level 1..9 (5).
  void set_compress_threshold(std::int64_t bytes);
  std::int64_t compress_threshold() const noexcept { return compress_threshold_; }
  void set_compress_level(int level);
  int compress_level() const noexcept { return compress_level_; }

  // Largest message (or batch) body accepted (4 MiB, the broker's default limit).
  void set_max_message_size(std::int64_t bytes);
  std::int64_t max_message_size() const noexcept { return max_message_size_; }

  // Asynchronous sends waiting for their answer; send(msg, callback) blocks the caller when the
  // limit is reached rather than growing memory without bound (10,000).
  void set_max_pending_async_sends(int sends);
  int max_pending_async_sends() const noexcept { return max_pending_async_sends_; }

  // After a failure, a broker is avoided for a while (latency fault tolerance; on).
  void set_latency_fault_tolerance(bool enabled) noexcept { latency_fault_tolerance_ = enabled; }
  bool latency_fault_tolerance() const noexcept { return latency_fault_tolerance_; }

  // Timeout of the SDK's own requests to name servers (3 s).
  void set_request_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

  // How often the routes of the topics sent to are fetched from the name server (30 s; 1 s..1 h).
  void set_route_refresh_interval(std::chrono::milliseconds interval);
  std::chrono::milliseconds route_refresh_interval() const noexcept { return route_refresh_interval_; }

  // ---- Security (docs/security.md) ----
  // ACL credentials: every request is then signed as the Java client's AclClientRPCHook signs it.
  // The access key is 1..255 printable ASCII characters without spaces, the secret key 1..1024
  // characters, the optional security token at most 4096; none may contain control characters.
  // The secret is never logged nor put into error texts.
  void set_credentials(const std::string& access_key, const std::string& secret_key);
  void set_credentials(const std::string& access_key, const std::string& secret_key,
                       const std::string& security_token);
  bool has_credentials() const noexcept { return !access_key_.empty(); }
  const std::string& access_key() const noexcept { return access_key_; }
  const std::string& secret_key() const noexcept { return secret_key_; }
  const std::string& security_token() const noexcept { return security_token_; }

  // TLS to name servers and brokers (off). Once on, the server certificate is verified against
  // tls_ca_file (the system's trust store when empty) and its name against tls_server_name (the
  // host of each address when empty: a DNS name or an IP address in the certificate's SAN).
  void set_tls_enabled(bool enabled) noexcept { tls_enabled_ = enabled; }
  bool tls_enabled() const noexcept { return tls_enabled_; }
  // A readable PEM file of trusted CA certificates.
  void set_tls_ca_file(const std::string& path);
  const std::string& tls_ca_file() const noexcept { return tls_ca_file_; }
  // Off only when asked for: any certificate is then accepted, and start() logs a warning.
  void set_tls_verify_peer(bool verify) noexcept { tls_verify_peer_ = verify; }
  bool tls_verify_peer() const noexcept { return tls_verify_peer_; }
  // Client certificate chain and its private key (PEM) for mutual TLS; both or neither.
  void set_tls_cert_file(const std::string& path);
  const std::string& tls_cert_file() const noexcept { return tls_cert_file_; }
  void set_tls_key_file(const std::string& path);
  const std::string& tls_key_file() const noexcept { return tls_key_file_; }
  // The name sent as SNI and expected in the server certificate: a DNS name or an IP address.
  void set_tls_server_name(const std::string& name);
  const std::string& tls_server_name() const noexcept { return tls_server_name_; }


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
  std::string access_key_;
  std::string secret_key_;
  std::string security_token_;
  bool tls_enabled_ = false;
  std::string tls_ca_file_;
  bool tls_verify_peer_ = true;
  std::string tls_cert_file_;
  std::string tls_key_file_;
  std::string tls_server_name_;
  ErrorListener error_listener_;
};

}  // namespace rocketmq
