#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

// Argument checks shared by the option setters, Message and the clients' subscribe/send calls. Each
// throws rocketmq::ClientError whose message names the rule and quotes the offending value, so a
// misconfiguration is reported where it is made instead of as a broker error much later.
namespace rocketmq::common {

// Longest topic the broker accepts from a producer (TopicValidator.TOPIC_MAX_LENGTH).
inline constexpr std::size_t kMaxTopicLength = 127;
// Retry and dead-letter topics are "%RETRY%" / "%DLQ%" + group, so they may be as long as a group
// plus the prefix; the broker stores them with a 2-byte topic length (docs/protocol.md §6.1).
inline constexpr std::size_t kMaxRetryTopicLength = 255;
inline constexpr std::size_t kMaxGroupLength = 255;

inline constexpr char kRetryTopicPrefix[] = "%RETRY%";
inline constexpr char kDlqTopicPrefix[] = "%DLQ%";
// Every topic starting with this prefix belongs to the broker (timer wheel, broker sync, ...).
inline constexpr char kSystemTopicPrefix[] = "rmq_sys_";

// Syntax only: non-empty, characters of [%|a-zA-Z0-9_-], at most 127 characters (255 for
// %RETRY%/%DLQ% topics). Lenient on purpose: subscribing to a dead-letter or system topic (e.g. to
// read traces) is legitimate.
void validate_topic_name(const std::string& topic);

// A topic an application may own: the syntax above, at most 127 characters, and not one of the
// broker's reserved system topics (TBW102, SCHEDULE_TOPIC_XXXX, RMQ_SYS_*, rmq_sys_*, ...).
void validate_topic(const std::string& topic);

// A topic an application may send to: validate_topic, and not a retry or dead-letter topic, which
// only the broker (and the consumer's send-back path) writes to.
void validate_topic_for_send(const std::string& topic);

// True for the broker's reserved topics: Java TopicValidator's SYSTEM_TOPIC_SET and the rmq_sys_
// prefix, except BenchmarkTest, which the stock benchmark tools produce to like any topic.
bool is_system_topic(const std::string& topic);

// 1..255 characters of [%|a-zA-Z0-9_-].
void validate_group(const std::string& group);

// One or more "host:port" separated by ';' (a single trailing ';' is tolerated); host is a name, an
// IPv4 address or a bracketed IPv6 address; port 1..65535.
void validate_name_server_addr(const std::string& addr);

// Client instance names end up in the client id ("ip@instance"): non-empty [a-zA-Z0-9_#@.-].
void validate_instance_name(const std::string& name);

// Numeric and duration option ranges are checked against the option tables (common/option_table.h).

// ACL credentials (set_credentials): access key 1..255 printable ASCII characters without spaces,
// secret key 1..1024 characters and security token at most 4096, neither with control characters.
// Messages name the rule and the access key, never the secret or the token.
void validate_credentials(const std::string& access_key, const std::string& secret_key,
                          const std::string& security_token);

// A path naming a regular file this process can read now (TLS CA, certificate, key files).
void validate_readable_file(const char* option, const std::string& path);

// A DNS host name (labels of [a-zA-Z0-9-], at most 253 characters) or an IPv4/IPv6 address.
void validate_tls_server_name(const std::string& name);

}  // namespace rocketmq::common
