#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>

// The option tables: one row per option (name, type, default, range, description). The setters of
// ConsumerOption and ProducerOption check numeric and duration arguments against their row, and the
// constructors take their defaults from it, so a range lives in one place; a unit test ([options])
// checks that docs/configuration.md shows the same defaults and ranges and no option a table lacks.
// The rows of ConsumerOption are in consumer/consumer_option_table.h, those of ProducerOption in
// producer/producer_option_table.h; the rows both share are here.
namespace rocketmq::common {

enum class OptionKind {
  kInteger,   // int or int64: checked against min..max
  kDuration,  // std::chrono::milliseconds: min..max in milliseconds
  // int64 milliseconds since the epoch, checked against min..max; its default_value is not a value
  // but how long before the option object's construction the default lies.
  kTimestamp,
  kOther,     // strings, flags, enums, callbacks: `range` describes the rule, checked by validators.h
};

struct OptionRow {
  std::string_view name;  // as the setter (set_<name>) and the docs name it
  std::string_view type;  // the setter's argument type, for people
  OptionKind kind;
  std::int64_t default_value;     // kInteger, kDuration (milliseconds), kTimestamp (a look-back)
  std::int64_t min;               // kInteger, kDuration and kTimestamp, inclusive
  std::int64_t max;               // kInteger, kDuration and kTimestamp, inclusive
  std::string_view default_text;  // the default as docs/configuration.md shows it
  // As docs/configuration.md shows it (without backticks); for the checked kinds also the text of
  // the error: "<name> must be <range>, got <value>".
  std::string_view range;
  std::string_view description;
};

inline constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

// Throw ClientError("<name> must be <range>, got <value>") when `value` is outside min..max; durations
// are reported in milliseconds ("got 50 ms").
void check_option(const OptionRow& row, std::int64_t value);
void check_option(const OptionRow& row, std::chrono::milliseconds value);

// The row's default as the member's type.
inline constexpr int default_int(const OptionRow& row) { return static_cast<int>(row.default_value); }
inline constexpr std::chrono::milliseconds default_duration(const OptionRow& row) {
  return std::chrono::milliseconds(row.default_value);
}

namespace option_rows {

inline constexpr OptionRow kNameServerAddr{
    "name_server_addr", "string", OptionKind::kOther, 0, 0, 0,
    "— (required)", "host:port[;host:port...]",
    "name servers of the cluster; several separated by ';'"};
inline constexpr OptionRow kInstanceName{
    "instance_name", "string", OptionKind::kOther, 0, 0, 0,
    "DEFAULT", "[a-zA-Z0-9_#@.-]+",
    "part of the client id; clients with the same name share one client instance"};
inline constexpr OptionRow kRequestTimeout{
    "request_timeout", "milliseconds", OptionKind::kDuration, 3000, 100, 10 * 60 * 1000,
    "3 s", "100 ms..10 min",
    "timeout of the SDK's own requests to brokers and name servers"};
inline constexpr OptionRow kRouteRefreshInterval{
    "route_refresh_interval", "milliseconds", OptionKind::kDuration, 30000, 1000, 60 * 60 * 1000,
    "30 s", "1 s..1 h",
    "how often topic routes are read from the name server"};
inline constexpr OptionRow kErrorListener{
    "error_listener", "ErrorListener", OptionKind::kOther, 0, 0, 0,
    "none", "",
    "called for each background failure of the client"};

// Security: the same setters on ConsumerOption and ProducerOption (validators.h checks them).
inline constexpr OptionRow kCredentials{
    "credentials", "access key, secret key[, security token]", OptionKind::kOther, 0, 0, 0,
    "none",
    "access key 1..255 printable ASCII without spaces; secret 1..1024, token ≤ 4096, no control characters",
    "ACL credentials: every request signed as the Java AclClientRPCHook signs it"};
inline constexpr OptionRow kTlsEnabled{
    "tls_enabled", "bool", OptionKind::kOther, 0, 0, 0,
    "off", "",
    "TLS to name servers and brokers"};
inline constexpr OptionRow kTlsCaFile{
    "tls_ca_file", "string", OptionKind::kOther, 0, 0, 0,
    "system trust store", "a readable file",
    "PEM CAs the server certificate must chain to"};
inline constexpr OptionRow kTlsVerifyPeer{
    "tls_verify_peer", "bool", OptionKind::kOther, 0, 0, 0,
    "on", "",
    "verify the server certificate and name"};
inline constexpr OptionRow kTlsCertFile{
    "tls_cert_file", "string", OptionKind::kOther, 0, 0, 0,
    "none", "a readable file, with tls_key_file",
    "client certificate chain (PEM) for mutual TLS"};
inline constexpr OptionRow kTlsKeyFile{
    "tls_key_file", "string", OptionKind::kOther, 0, 0, 0,
    "none", "a readable file, with tls_cert_file",
    "client private key (PKCS#8/PEM) for mutual TLS"};
inline constexpr OptionRow kTlsServerName{
    "tls_server_name", "string", OptionKind::kOther, 0, 0, 0,
    "the host of each address", "DNS name or IP address",
    "sent as SNI and required in the server certificate"};

}  // namespace option_rows

// docs/configuration.md, "Security options".
inline constexpr OptionRow kSecurityOptionTable[] = {
    option_rows::kCredentials,  option_rows::kTlsEnabled,  option_rows::kTlsCaFile,
    option_rows::kTlsVerifyPeer, option_rows::kTlsCertFile, option_rows::kTlsKeyFile,
    option_rows::kTlsServerName,
};

}  // namespace rocketmq::common
