#include "rocketmq/message_ext.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "consumer/message_ext_data.h"

namespace rocketmq {

namespace {

// Every default-constructed or moved-from MessageExt points here, so getters never meet a null
// pointer and default construction allocates nothing. A pointer without an owner (the aliasing
// constructor with an empty owner): copying it touches no reference count, where a shared count
// would be one cache line every thread increments for every message it makes, moves or drops.
// Leaked on purpose: consume threads may still make and drop messages while static destruction
// runs at process exit.
const std::shared_ptr<const detail::MessageExtData>& empty_data() noexcept {
  static const auto* const empty = new std::shared_ptr<const detail::MessageExtData>(
      std::shared_ptr<void>(), new detail::MessageExtData());
  return *empty;
}

}  // namespace

namespace detail {

namespace {

// Materializations of different messages rarely meet, so a few locks serve them all (a mutex per
// message would cost 40 bytes each). Leaked on purpose, like empty_data().
std::mutex& materialize_lock(const void* data) noexcept {
  constexpr std::size_t kStripes = 64;
  static auto* const stripes = new std::mutex[kStripes];
  return stripes[(reinterpret_cast<std::uintptr_t>(data) / alignof(MessageExtData)) % kStripes];
}

std::atomic<std::uint64_t> materialized_halves{0};

}  // namespace

MessageExtData::MessageExtData(const MessageExtData& other)
    : stored(other.record()), broker_name(other.broker_name), topic(other.topic) {
  stored.lazy = false;  // the views belong to the other's buffer, which this copy does not keep
  stored.lazy_body = {};
  stored.lazy_topic = {};
  stored.lazy_properties = {};
}

std::uint64_t materializations() noexcept { return materialized_halves.load(std::memory_order_relaxed); }

const protocol::StoredMessage& MessageExtData::header() const {
  if (!stored.lazy || header_ready_.load(std::memory_order_acquire)) return stored;
  std::lock_guard<std::mutex> lock(materialize_lock(this));
  if (!header_ready_.load(std::memory_order_relaxed)) {
    protocol::materialize_lazy_properties(stored);
    materialized_halves.fetch_add(1, std::memory_order_relaxed);
    header_ready_.store(true, std::memory_order_release);
  }
  return stored;
}

const protocol::StoredMessage& MessageExtData::record() const {
  if (!stored.lazy || body_ready_.load(std::memory_order_acquire)) return header();
  {
    std::lock_guard<std::mutex> lock(materialize_lock(this));
    if (!body_ready_.load(std::memory_order_relaxed)) {
      protocol::materialize_lazy_body(stored);
      materialized_halves.fetch_add(1, std::memory_order_relaxed);
      body_ready_.store(true, std::memory_order_release);
    }
  }
  return header();
}

MessageExt MessageExtAccess::make(std::shared_ptr<const MessageExtData> data) {
  MessageExt message;  // costs nothing: the empty data has no reference count
  if (data) message.data_ = std::move(data);
  return message;
}

const MessageExtData& MessageExtAccess::data(const MessageExt& message) noexcept { return *message.data_; }

}  // namespace detail

MessageExt::MessageExt() : data_(empty_data()) {}
MessageExt::~MessageExt() = default;
MessageExt::MessageExt(const MessageExt&) noexcept = default;
MessageExt& MessageExt::operator=(const MessageExt&) noexcept = default;
// The source keeps a valid (empty) message rather than a null pointer.
MessageExt::MessageExt(MessageExt&& other) noexcept : data_(std::exchange(other.data_, empty_data())) {}
MessageExt& MessageExt::operator=(MessageExt&& other) noexcept {
  if (this != &other) data_ = std::exchange(other.data_, empty_data());
  return *this;
}

const std::string& MessageExt::get_msg_id() const { return data_->header().msg_id; }
const std::string& MessageExt::get_offset_msg_id() const { return data_->header().offset_msg_id; }
const std::string& MessageExt::get_topic() const {
  return data_->topic.empty() ? data_->header().topic : data_->topic;
}
const std::string& MessageExt::get_tags() const { return data_->header().tags; }
const std::string& MessageExt::get_keys() const { return data_->header().keys; }
const std::string& MessageExt::get_body() const { return data_->record().body; }

std::string MessageExt::get_property(const std::string& name) const {
  const auto& properties = data_->header().properties;
  const auto it = properties.find(name);
  return it == properties.end() ? std::string() : it->second;
}

const std::map<std::string, std::string>& MessageExt::get_properties() const {
  return data_->header().properties;
}
std::int32_t MessageExt::get_queue_id() const { return data_->fixed().queue_id; }
std::int64_t MessageExt::get_queue_offset() const { return data_->fixed().queue_offset; }
std::int64_t MessageExt::get_commit_log_offset() const { return data_->fixed().commit_log_offset; }
std::int32_t MessageExt::get_reconsume_times() const { return data_->fixed().reconsume_times; }
std::int64_t MessageExt::get_born_timestamp() const { return data_->fixed().born_timestamp; }
std::int64_t MessageExt::get_store_timestamp() const { return data_->fixed().store_timestamp; }
std::string MessageExt::get_born_host() const { return data_->fixed().born_host.to_string(); }
std::string MessageExt::get_store_host() const { return data_->fixed().store_host.to_string(); }
const std::string& MessageExt::get_broker_name() const { return data_->broker_name; }
std::int32_t MessageExt::get_flag() const { return data_->fixed().flag; }
std::int32_t MessageExt::get_sys_flag() const { return data_->fixed().sys_flag; }
std::int32_t MessageExt::get_store_size() const { return data_->fixed().store_size; }
std::int32_t MessageExt::get_body_crc() const { return data_->fixed().body_crc; }

}  // namespace rocketmq
