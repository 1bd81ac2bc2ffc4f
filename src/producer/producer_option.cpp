#include "rocketmq/producer_option.h"

#include <limits>
#include <string>

#include "common/validators.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace {

using std::chrono::milliseconds;

constexpr int kMaxRetryTimes = 16;
// A remoting frame is at most 16 MiB (NettyDecoder FRAME_MAX_LENGTH, docs/protocol.md §1); the request
// header and the properties string (≤ 32 KiB) share the frame with the body, so leave them 64 KiB.
constexpr std::int64_t kMaxMessageSizeLimit = 16 * 1024 * 1024 - 64 * 1024;

}  // namespace

void ProducerOption::set_name_server_addr(const std::string& addr) {
  common::validate_name_server_addr(addr);
  name_server_addr_ = addr;
}

void ProducerOption::set_group_name(const std::string& group) {
  common::validate_group(group);
  group_name_ = group;
}

void ProducerOption::set_instance_name(const std::string& name) {
  common::validate_instance_name(name);
  instance_name_ = name;
}

void ProducerOption::set_send_timeout(milliseconds timeout) {
  common::validate_option_duration("send_timeout", timeout, milliseconds(10), milliseconds(10 * 60 * 1000),
                                   "10 ms..10 min");
  send_timeout_ = timeout;
}

void ProducerOption::set_retry_times(int times) {
  common::validate_option_range("retry_times", times, 0, kMaxRetryTimes);
  retry_times_ = times;
}

void ProducerOption::set_async_retry_times(int times) {
  common::validate_option_range("async_retry_times", times, 0, kMaxRetryTimes);
  async_retry_times_ = times;
}

// 0 compresses every body; a threshold above max_message_size effectively disables compression.
void ProducerOption::set_compress_threshold(std::int64_t bytes) {
  common::validate_option_range("compress_threshold", bytes, 0, std::numeric_limits<std::int64_t>::max());
  compress_threshold_ = bytes;
}

void ProducerOption::set_compress_level(int level) {
  common::validate_option_range("compress_level", level, 1, 9);
  compress_level_ = level;
}

void ProducerOption::set_max_message_size(std::int64_t bytes) {
  common::validate_option_range("max_message_size", bytes, 1, kMaxMessageSizeLimit);
  max_message_size_ = bytes;
}

void ProducerOption::set_max_pending_async_sends(int sends) {
  common::validate_option_range("max_pending_async_sends", sends, 1, 1000000);
  max_pending_async_sends_ = sends;
}

void ProducerOption::set_request_timeout(milliseconds timeout) {
  common::validate_option_duration("request_timeout", timeout, milliseconds(100),
                                   milliseconds(10 * 60 * 1000), "100 ms..10 min");
  request_timeout_ = timeout;
}

void ProducerOption::set_route_refresh_interval(milliseconds interval) {
  common::validate_option_duration("route_refresh_interval", interval, milliseconds(1000),
                                   milliseconds(60 * 60 * 1000), "1 s..1 h");
  route_refresh_interval_ = interval;
}

void ProducerOption::set_credentials(const std::string& access_key, const std::string& secret_key) {
  set_credentials(access_key, secret_key, std::string());
}

void ProducerOption::set_credentials(const std::string& access_key, const std::string& secret_key,
                          const std::string& security_token) {
  common::validate_credentials(access_key, secret_key, security_token);
  access_key_ = access_key;
  secret_key_ = secret_key;
  security_token_ = security_token;
}

void ProducerOption::set_tls_ca_file(const std::string& path) {
  common::validate_readable_file("tls_ca_file", path);
  tls_ca_file_ = path;
}

void ProducerOption::set_tls_cert_file(const std::string& path) {
  common::validate_readable_file("tls_cert_file", path);
  tls_cert_file_ = path;
}

void ProducerOption::set_tls_key_file(const std::string& path) {
  common::validate_readable_file("tls_key_file", path);
  tls_key_file_ = path;
}

void ProducerOption::set_tls_server_name(const std::string& name) {
  common::validate_tls_server_name(name);
  tls_server_name_ = name;
}

}  // namespace rocketmq
