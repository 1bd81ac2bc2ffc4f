#include "protocol/headers.h"

#include <cctype>
#include <charconv>
#include <string_view>
#include <type_traits>

#include "rocketmq/error.h"

namespace rocketmq {
namespace protocol {
namespace {

std::string to_ext_value(const std::string& value) { return value; }
std::string to_ext_value(bool value) { return value ? "true" : "false"; }
std::string to_ext_value(int32_t value) { return std::to_string(value); }
std::string to_ext_value(int64_t value) { return std::to_string(value); }

class ExtFieldsWriter {
 public:
  explicit ExtFieldsWriter(ExtFields& ext_fields) : ext_fields_(ext_fields) {}

  template <typename T>
  void required(const char* name, const T& value) {
    ext_fields_[name] = to_ext_value(value);
  }
  template <typename T>
  void primitive(const char* name, const T& value) {
    ext_fields_[name] = to_ext_value(value);
  }
  template <typename T>
  void optional(const char* name, const std::optional<T>& value) {
    if (value) ext_fields_[name] = to_ext_value(*value);
  }

 private:
  ExtFields& ext_fields_;
};

// How many fields a header lists, so that encode reserves room for exactly those: a header's
// fields in one allocation, kept within the sizes glibc serves from its per-thread cache.
struct FieldCounter {
  std::size_t count = 0;
  template <typename T>
  void required(const char*, const T&) {
    ++count;
  }
  template <typename T>
  void primitive(const char*, const T&) {
    ++count;
  }
  template <typename T>
  void optional(const char*, const std::optional<T>& value) {
    if (value) ++count;
  }
};

class ExtFieldsReader {
 public:
  ExtFieldsReader(const ExtFields& ext_fields, const char* header_name)
      : ext_fields_(ext_fields), header_name_(header_name) {}

  template <typename T>
  void required(const char* name, T& value) {
    auto it = ext_fields_.find(name);
    if (it == ext_fields_.end()) {
      throw ProtocolError(std::string(header_name_) + ": required field '" + name + "' is missing");
    }
    parse(name, it->second, value);
  }
  template <typename T>
  void primitive(const char* name, T& value) {
    auto it = ext_fields_.find(name);
    if (it != ext_fields_.end()) parse(name, it->second, value);
  }
  template <typename T>
  void optional(const char* name, std::optional<T>& value) {
    auto it = ext_fields_.find(name);
    if (it == ext_fields_.end()) {
      value.reset();
      return;
    }
    T parsed{};
    parse(name, it->second, parsed);
    value = std::move(parsed);
  }

 private:
  void parse(const char*, const std::string& text, std::string& value) { value = text; }

  // Like Java's Boolean.parseBoolean: "true" in any case is true, everything else false.
  void parse(const char*, const std::string& text, bool& value) {
    static constexpr std::string_view kTrue = "true";
    value = text.size() == kTrue.size();
    for (size_t i = 0; value && i < text.size(); ++i) {
      value = std::tolower(static_cast<unsigned char>(text[i])) == kTrue[i];
    }
  }

  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
  void parse(const char* name, const std::string& text, Int& value) {
    const char* begin = text.data();
    const char* end = begin + text.size();
    // Java's parseInt/parseLong accept a leading '+'; from_chars does not.
    if (begin != end && *begin == '+' && end - begin > 1 && begin[1] != '-') ++begin;
    Int parsed = 0;
    auto [ptr, ec] = std::from_chars(begin, end, parsed);
    if (ec != std::errc() || ptr != end || begin == end) {
      throw ProtocolError(std::string(header_name_) + ": field '" + name + "' is not a valid " +
                          (sizeof(Int) == 8 ? "int64" : "int32") + ": '" + text + "'");
    }
    value = parsed;
  }

  const ExtFields& ext_fields_;
  const char* header_name_;
};

}  // namespace

#define ROCKETMQ_DEFINE_HEADER_CODEC(Type)                  \
  void Type::encode(ExtFields& ext_fields) const {          \
    FieldCounter counter;                                   \
    fields(*this, counter);                                 \
    ext_fields.reserve(ext_fields.size() + counter.count);  \
    ExtFieldsWriter writer(ext_fields);                     \
    fields(*this, writer);                                  \
  }                                                         \
  Type Type::decode(const ExtFields& ext_fields) {          \
    Type header;                                            \
    ExtFieldsReader reader(ext_fields, #Type);              \
    fields(header, reader);                                 \
    return header;                                          \
  }

ROCKETMQ_DEFINE_HEADER_CODEC(GetRouteInfoRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(CreateTopicRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(SendMessageRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(SendMessageRequestHeaderV2)
ROCKETMQ_DEFINE_HEADER_CODEC(SendMessageResponseHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(UnregisterClientRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(PullMessageRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(PullMessageResponseHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(QueryConsumerOffsetRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(QueryConsumerOffsetResponseHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(UpdateConsumerOffsetRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(GetConsumerListByGroupRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(ConsumerSendMsgBackRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(SearchOffsetRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(OffsetResponseHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(GetMaxOffsetRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(TopicQueueRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(ResetOffsetRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(GetConsumerStatusRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(GetConsumerRunningInfoRequestHeader)
ROCKETMQ_DEFINE_HEADER_CODEC(ConsumeMessageDirectlyResultRequestHeader)

#undef ROCKETMQ_DEFINE_HEADER_CODEC

SendMessageRequestHeaderV2 SendMessageRequestHeaderV2::from_v1(const SendMessageRequestHeader& v1) {
  SendMessageRequestHeaderV2 v2;
  v2.producer_group = v1.producer_group;
  v2.topic = v1.topic;
  v2.default_topic = v1.default_topic;
  v2.default_topic_queue_nums = v1.default_topic_queue_nums;
  v2.queue_id = v1.queue_id;
  v2.sys_flag = v1.sys_flag;
  v2.born_timestamp = v1.born_timestamp;
  v2.flag = v1.flag;
  v2.properties = v1.properties;
  v2.reconsume_times = v1.reconsume_times;
  v2.unit_mode = v1.unit_mode;
  v2.max_reconsume_times = v1.max_reconsume_times;
  v2.batch = v1.batch;
  v2.broker_name = v1.broker_name;
  return v2;
}

SendMessageRequestHeader SendMessageRequestHeaderV2::to_v1() const {
  SendMessageRequestHeader v1;
  v1.producer_group = producer_group;
  v1.topic = topic;
  v1.default_topic = default_topic;
  v1.default_topic_queue_nums = default_topic_queue_nums;
  v1.queue_id = queue_id;
  v1.sys_flag = sys_flag;
  v1.born_timestamp = born_timestamp;
  v1.flag = flag;
  v1.properties = properties;
  v1.reconsume_times = reconsume_times;
  v1.unit_mode = unit_mode;
  v1.max_reconsume_times = max_reconsume_times;
  v1.batch = batch;
  v1.broker_name = broker_name;
  return v1;
}

}  // namespace protocol
}  // namespace rocketmq
