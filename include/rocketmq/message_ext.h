#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "rocketmq/export.h"

namespace rocketmq {

namespace detail {
struct MessageExtData;
struct MessageExtAccess;
}  // namespace detail

// A received message. Copies share one immutable buffer (a reference count, no deep copy), so
// passing messages between the SDK's threads and into the listener costs nothing per stage.
class ROCKETMQ_API MessageExt {
 public:
  MessageExt();
  ~MessageExt();
  MessageExt(const MessageExt&) noexcept;
  MessageExt& operator=(const MessageExt&) noexcept;
  MessageExt(MessageExt&&) noexcept;
  MessageExt& operator=(MessageExt&&) noexcept;

  // The client-assigned unique id (UNIQ_KEY), or the offset msg id when the producer set none.
  const std::string& get_msg_id() const;
  // The broker-assigned id: store host and commit-log offset in hex.
  const std::string& get_offset_msg_id() const;
  // For a retried message, the original topic (not %RETRY%<group>).
  const std::string& get_topic() const;
  const std::string& get_tags() const;
  const std::string& get_keys() const;
  const std::string& get_body() const;
  // Empty when absent.
  std::string get_property(const std::string& name) const;
  const std::map<std::string, std::string>& get_properties() const;
  std::int32_t get_queue_id() const;
  std::int64_t get_queue_offset() const;
  std::int64_t get_commit_log_offset() const;
  std::int32_t get_reconsume_times() const;
  std::int64_t get_born_timestamp() const;
  std::int64_t get_store_timestamp() const;
  // "ip:port"
  std::string get_born_host() const;
  std::string get_store_host() const;
  const std::string& get_broker_name() const;
  std::int32_t get_flag() const;
  std::int32_t get_sys_flag() const;
  std::int32_t get_store_size() const;
  std::int32_t get_body_crc() const;

 private:
  friend struct detail::MessageExtAccess;
  std::shared_ptr<const detail::MessageExtData> data_;
};

}  // namespace rocketmq
