#include "common/validators.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>

#include <sys/stat.h>

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

void validate_credentials(const std::string& access_key, const std::string& secret_key,
                          const std::string& security_token) {
  if (access_key.empty() || access_key.size() > 255) {
    throw ClientError("credentials: the access key must be 1..255 characters, got " +
                      std::to_string(access_key.size()));
  }
  for (const char c : access_key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      throw ClientError("credentials: the access key must be printable ASCII without spaces");
    }
  }
  // From here on the access key may be quoted: it is an identity, not a secret.
  if (secret_key.empty() || secret_key.size() > 1024) {
    throw ClientError("credentials: the secret key of access key '" + access_key + "' must be 1..1024 characters, got " +
                      std::to_string(secret_key.size()));
  }
  if (security_token.size() > 4096) {
    throw ClientError("credentials: the security token of access key '" + access_key +
                      "' must be at most 4096 characters, got " + std::to_string(security_token.size()));
  }
  auto has_control = [](const std::string& text) {
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
  };
  if (has_control(secret_key)) {
    throw ClientError("credentials: the secret key of access key '" + access_key + "' contains a control character");
  }
  if (has_control(security_token)) {
    throw ClientError("credentials: the security token of access key '" + access_key +
                      "' contains a control character");
  }
}

void validate_readable_file(const char* option, const std::string& path) {
  if (path.empty()) throw ClientError(std::string(option) + ": the path is empty");
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw ClientError(std::string(option) + ": cannot use '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) throw ClientError(std::string(option) + ": '" + path + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ClientError(std::string(option) + ": cannot read '" + path + "'");
}

void validate_tls_server_name(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    throw ClientError("tls_server_name must be 1..253 characters, got " + std::to_string(name.size()));
  }
  bool ip_like = name.find(':') != std::string::npos;  // IPv6: checked when connecting
  if (ip_like) {
    for (const char c : name) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        throw ClientError("tls_server_name '" + name + "' is neither a host name nor an IP address");
      }
    }
    return;
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) {
        throw ClientError("tls_server_name '" + name + "' has an empty or over-long (> 63) label");
      }
      label = 0;
      continue;
    }
    const char c = name[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) {
      throw ClientError("tls_server_name '" + name + "' may only contain letters, digits, '-' and '.'");
    }
    ++label;
  }
}

}  // namespace rocketmq::common
