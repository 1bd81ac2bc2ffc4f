#include "protocol/message_id.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <random>

#include "common/byte_buffer.h"
#include "rocketmq/error.h"

namespace rocketmq::protocol {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";
constexpr std::size_t kIpv4OffsetMsgIdLength = 32;
constexpr std::size_t kIpv6OffsetMsgIdLength = 56;

int hex_value(char digit) noexcept {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  return -1;
}

void require_ip_length(const std::string& ip_bytes, const char* what) {
  if (ip_bytes.size() != 4 && ip_bytes.size() != 16) {
    throw ClientError(std::string(what) + ": IP address must have 4 or 16 bytes, got " +
                      std::to_string(ip_bytes.size()));
  }
}

std::string local_ipv4_bytes() {
  std::string result("\x7F\x00\x00\x01", 4);
  ifaddrs* interfaces = nullptr;
  if (getifaddrs(&interfaces) != 0) return result;
  for (const ifaddrs* entry = interfaces; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    const auto* bytes = reinterpret_cast<const char*>(&address->sin_addr.s_addr);  // network order
    if (static_cast<unsigned char>(bytes[0]) == 127) continue;
    result.assign(bytes, 4);
    break;
  }
  freeifaddrs(interfaces);
  return result;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Local midnight of the first day of the month `month_delta` months after the one containing `time`.
std::int64_t local_month_start_ms(std::time_t time, int month_delta) {
  std::tm calendar{};
  localtime_r(&time, &calendar);
  calendar.tm_mday = 1;
  calendar.tm_hour = 0;
  calendar.tm_min = 0;
  calendar.tm_sec = 0;
  calendar.tm_mon += month_delta;  // mktime normalises December + 1
  calendar.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&calendar)) * 1000;
}

}  // namespace

std::string to_upper_hex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (char byte : bytes) {
    const auto value = static_cast<unsigned char>(byte);
    hex.push_back(kHexDigits[value >> 4]);
    hex.push_back(kHexDigits[value & 0x0F]);
  }
  return hex;
}

// Formatted straight into the result (one allocation): this runs for every pulled message on the
// I/O thread, where the big-endian buffer and per-digit push_back cost ~1,500 instructions each.
std::string make_offset_msg_id(const HostAddress& store_host, std::int64_t commit_log_offset) {
  require_ip_length(store_host.ip_bytes, "offset msgId store host");
  std::string hex(2 * (store_host.ip_bytes.size() + 4 + 8), '\0');
  std::size_t at = 0;
  const auto put_byte = [&hex, &at](unsigned value) {
    hex[at++] = kHexDigits[(value >> 4) & 0x0F];
    hex[at++] = kHexDigits[value & 0x0F];
  };
  for (char byte : store_host.ip_bytes) put_byte(static_cast<unsigned char>(byte));
  const auto port = static_cast<std::uint32_t>(store_host.port);
  for (int shift = 24; shift >= 0; shift -= 8) put_byte((port >> shift) & 0xFF);
  const auto offset = static_cast<std::uint64_t>(commit_log_offset);
  for (int shift = 56; shift >= 0; shift -= 8) put_byte(static_cast<unsigned>((offset >> shift) & 0xFF));
  return hex;
}

OffsetMessageId decode_offset_msg_id(std::string_view msg_id) {
  if (msg_id.size() != kIpv4OffsetMsgIdLength && msg_id.size() != kIpv6OffsetMsgIdLength) {
    throw ProtocolError("offset msgId must have 32 or 56 hex digits, got " + std::to_string(msg_id.size()) +
                        ": '" + std::string(msg_id) + "'");
  }
  std::string raw(msg_id.size() / 2, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const int high = hex_value(msg_id[2 * i]);
    const int low = hex_value(msg_id[2 * i + 1]);
    if (high < 0 || low < 0) {
      throw ProtocolError("offset msgId contains a non-hex digit: '" + std::string(msg_id) + "'");
    }
    raw[i] = static_cast<char>((high << 4) | low);
  }
  const std::size_t ip_length = msg_id.size() == kIpv4OffsetMsgIdLength ? 4 : 16;
  common::ByteReader reader(raw);
  OffsetMessageId decoded;
  decoded.store_host.ip_bytes = std::string(reader.read_view(ip_length, "msgId store host"));
  decoded.store_host.port = reader.read_i32("msgId store port");
  decoded.commit_log_offset = reader.read_i64("msgId commit-log offset");
  return decoded;
}

UniqueIdGenerator::UniqueIdGenerator() : UniqueIdGenerator(local_ipv4_bytes()) {}

UniqueIdGenerator::UniqueIdGenerator(std::string ip_bytes) {
  require_ip_length(ip_bytes, "UNIQ_KEY generator");
  std::random_device entropy;
  // Java uses the class loader's identity hash here; any per-process random value keeps two clients on
  // one host (or a restarted client with a recycled pid) apart.
  const auto process_random = static_cast<std::int32_t>(entropy());
  // Start the counter at a random value too, like Java's COUNTER seeded with a random int.
  counter_ = static_cast<std::uint16_t>(entropy());

  std::string fixed;
  common::ByteWriter writer(fixed);
  writer.write_bytes(ip_bytes);
  writer.write_i16(static_cast<std::int16_t>(getpid()));
  writer.write_i32(process_random);
  prefix_ = to_upper_hex(fixed);
  start_month_containing(now_ms());
}

UniqueIdGenerator& UniqueIdGenerator::instance() {
  // Leaked on purpose: a send on a library thread may still ask for an id during static destruction.
  static UniqueIdGenerator* const generator = new UniqueIdGenerator();
  return *generator;
}

void UniqueIdGenerator::start_month_containing(std::int64_t time_ms) {
  const auto time = static_cast<std::time_t>(time_ms / 1000);
  month_start_ms_ = local_month_start_ms(time, 0);
  next_month_start_ms_ = local_month_start_ms(time, 1);
}

std::string UniqueIdGenerator::next() {
  std::int32_t elapsed_ms = 0;
  std::uint16_t counter = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = now_ms();
    if (now >= next_month_start_ms_ || now < month_start_ms_) start_month_containing(now);
    elapsed_ms = static_cast<std::int32_t>(now - month_start_ms_);
    counter = counter_++;
  }
  std::string suffix;
  common::ByteWriter writer(suffix);
  writer.write_i32(elapsed_ms);
  writer.write_i16(static_cast<std::int16_t>(counter));
  return prefix_ + to_upper_hex(suffix);
}

}  // namespace rocketmq::protocol
