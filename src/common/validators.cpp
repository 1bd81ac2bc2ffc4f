#include "common/validators.h"

#include <string_view>

#include "rocketmq/error.h"

namespace rocketmq::common {

namespace {

// Topic and group names travel in request headers and become file names on the broker, hence the
// small alphabet (TopicValidator.isTopicOrGroupIllegal).
bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '%' || c == '|' ||
         c == '_' || c == '-';
}

bool has_only_name_chars(std::string_view name) noexcept {
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool starts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.substr(0, prefix.size()) == prefix;
}

[[noreturn]] void fail(const char* what, const std::string& value, const std::string& problem) {
  throw ClientError(std::string("invalid ") + what + " \"" + value + "\": " + problem);
}

constexpr std::string_view kSystemTopics[] = {
    "TBW102",                       // template for auto-created topics
    "SCHEDULE_TOPIC_XXXX",          // delay-level messages waiting for their time
    "RMQ_SYS_TRANS_HALF_TOPIC",     // prepared transactional messages
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",  // commit/rollback records of half messages
    "TRANS_CHECK_MAX_TIME_TOPIC",   // half messages checked too often
    "RMQ_SYS_TRACE_TOPIC",          // message traces (written by trace dispatchers only)
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",     // RocksDB offset checkpoints
    "rmq_sys_wheel_timer",  // covered by the prefix too; listed for documentation
};

}  // namespace

bool is_system_topic(const std::string& topic) {
  if (starts_with(topic, kSystemTopicPrefix)) return true;
  for (std::string_view reserved : kSystemTopics) {
    if (topic == reserved) return true;
  }
  return false;
}

void validate_topic_name(const std::string& topic) {
  if (topic.empty()) fail("topic", topic, "must not be empty");
  if (!has_only_name_chars(topic)) fail("topic", topic, "only letters, digits, %, |, _ and - are allowed");
  const bool retry_or_dlq = starts_with(topic, kRetryTopicPrefix) || starts_with(topic, kDlqTopicPrefix);
  const std::size_t limit = retry_or_dlq ? kMaxRetryTopicLength : kMaxTopicLength;
  if (topic.size() > limit) {
    fail("topic", topic,
         "longer than " + std::to_string(limit) + " characters (" + std::to_string(topic.size()) + ")");
  }
}

void validate_topic(const std::string& topic) {
  validate_topic_name(topic);
  if (topic.size() > kMaxTopicLength) {
    fail("topic", topic,
         "longer than " + std::to_string(kMaxTopicLength) + " characters (" + std::to_string(topic.size()) +
             ")");
  }
  if (is_system_topic(topic)) fail("topic", topic, "reserved for the broker's own use");
}

void validate_topic_for_send(const std::string& topic) {
  validate_topic(topic);
  if (starts_with(topic, kRetryTopicPrefix) || starts_with(topic, kDlqTopicPrefix)) {
    fail("topic", topic, "retry (%RETRY%) and dead-letter (%DLQ%) topics cannot be sent to");
  }
}

void validate_group(const std::string& group) {
  if (group.empty()) fail("group", group, "must not be empty");
  if (!has_only_name_chars(group)) fail("group", group, "only letters, digits, %, |, _ and - are allowed");
  if (group.size() > kMaxGroupLength) {
    fail("group", group,
         "longer than " + std::to_string(kMaxGroupLength) + " characters (" + std::to_string(group.size()) +
             ")");
  }
}

namespace {

bool is_host_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_';
}

bool is_ipv6_char(char c) noexcept {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

// Returns an explanation of what is wrong with one "host:port" entry, or an empty string.
std::string check_host_port(std::string_view entry) {
  if (entry.empty()) return "empty address between ';'";
  const std::size_t colon = entry.rfind(':');
  if (colon == std::string_view::npos) return "\"" + std::string(entry) + "\" is not host:port";
  const std::string_view host = entry.substr(0, colon);
  const std::string_view port = entry.substr(colon + 1);
  if (host.empty()) return "\"" + std::string(entry) + "\" has no host";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return "\"" + std::string(entry) + "\" has a malformed IPv6 host";
    for (char c : host.substr(1, host.size() - 2)) {
      if (!is_ipv6_char(c)) return "\"" + std::string(entry) + "\" has a malformed IPv6 host";
    }
  } else {
    for (char c : host) {
      if (!is_host_name_char(c)) {
        return "\"" + std::string(entry) +
               "\" has an invalid host (IPv6 addresses need brackets: [::1]:9876)";
      }
    }
  }
  // At most 5 digits keeps the accumulation below from overflowing.
  if (port.empty() || port.size() > 5) return "\"" + std::string(entry) + "\" needs a port 1..65535";
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return "\"" + std::string(entry) + "\" needs a port 1..65535";
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return "\"" + std::string(entry) + "\" needs a port 1..65535";
  return {};
}

bool is_instance_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '#' ||
         c == '@' || c == '.' || c == '-';
}

}  // namespace

void validate_name_server_addr(const std::string& addr) {
  if (addr.empty())
    fail("name server address", addr, "must not be empty (expected host:port[;host:port...])");
  std::string_view rest = addr;
  // Tolerate one trailing separator: lists are often built by appending "addr;" in a loop.
  if (rest.back() == ';') rest.remove_suffix(1);
  while (true) {
    const std::size_t semicolon = rest.find(';');
    const std::string problem = check_host_port(rest.substr(0, semicolon));
    if (!problem.empty()) fail("name server address", addr, problem);
    if (semicolon == std::string_view::npos) break;
    rest.remove_prefix(semicolon + 1);
  }
}

void validate_instance_name(const std::string& name) {
  if (name.empty()) fail("instance name", name, "must not be empty");
  for (char c : name) {
    if (!is_instance_name_char(c))
      fail("instance name", name, "only letters, digits, _, #, @, . and - are allowed");
  }
}

void validate_option_range(const char* option, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value < min || value > max) {
    throw ClientError(std::string(option) + " must be " + std::to_string(min) + ".." + std::to_string(max) +
                      ", got " + std::to_string(value));
  }
}

void validate_option_duration(const char* option, std::chrono::milliseconds value,
                              std::chrono::milliseconds min, std::chrono::milliseconds max,
                              const char* range) {
  if (value < min || value > max) {
    throw ClientError(std::string(option) + " must be " + range + ", got " + std::to_string(value.count()) +
                      " ms");
  }
}

}  // namespace rocketmq::common
